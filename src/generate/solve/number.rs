//! `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf` and OpenAPI's
//! numeric formats (`int32`, `int64`, `float`, `double`, read by [`NumericFormat`]), for
//! integers and decimals: the values inside, exactly at and just past each bound, and an
//! integer written as a float (`14037.0`, an integer to JSON Schema).

use super::{number_value, Variant};
use crate::generate::Family;
use crate::schema::Keyword;
use crate::schema::NumericFormat;
use serde_json::{Map, Value};

/// A numeric schema's constraints.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rules {
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    multiple_of: Option<f64>,
    format: Option<NumericFormat>,
}

impl Rules {
    pub(crate) fn read(map: &Map<String, Value>) -> Rules {
        let get = |key: &str| map.get(key).and_then(Value::as_f64);
        Rules {
            minimum: get(Keyword::Minimum.name()),
            maximum: get(Keyword::Maximum.name()),
            exclusive_minimum: get(Keyword::ExclusiveMinimum.name()),
            exclusive_maximum: get(Keyword::ExclusiveMaximum.name()),
            multiple_of: get(Keyword::MultipleOf.name()).filter(|m| *m > 0.0),
            format: NumericFormat::of(map),
        }
    }

    /// The smallest step worth taking past a bound: one for integers, the multiple when
    /// there is one, else a small fraction of the bound.
    fn step(&self, x: f64, integer: bool) -> f64 {
        match self.multiple_of {
            Some(m) => m,
            None if integer => 1.0,
            None => (x.abs() * 1e-6).max(1e-6),
        }
    }

    /// The lowest and highest admitted values (before `multipleOf`).
    fn range(&self, integer: bool) -> (Option<f64>, Option<f64>) {
        let format = self.format.and_then(NumericFormat::range);
        let lo = [
            self.minimum,
            self.exclusive_minimum
                .map(|x| next_above(x, self.step(x, integer), integer)),
            format.map(|(lo, _)| lo),
        ];
        let hi = [
            self.maximum,
            self.exclusive_maximum
                .map(|x| next_below(x, self.step(x, integer), integer)),
            format.map(|(_, hi)| hi),
        ];
        let lo = lo.into_iter().flatten().reduce(f64::max);
        let hi = hi.into_iter().flatten().reduce(f64::min);
        let lo = lo.map(|x| if integer { x.ceil() } else { x });
        let hi = hi.map(|x| if integer { x.floor() } else { x });
        (lo, hi)
    }

    /// Whether `x` is within the written bounds (the format's left out).
    fn bounds_admit(&self, x: f64) -> bool {
        self.minimum.is_none_or(|m| x >= m)
            && self.maximum.is_none_or(|m| x <= m)
            && self.exclusive_minimum.is_none_or(|m| x > m)
            && self.exclusive_maximum.is_none_or(|m| x < m)
    }

    /// `x` moved onto a multiple (upwards when `up`).
    fn snap(&self, x: f64, up: bool) -> f64 {
        match self.multiple_of {
            Some(m) if up => (x / m).ceil() * m,
            Some(m) => (x / m).floor() * m,
            None => x,
        }
    }
}

impl Rules {
    /// The interval plain values are taken from: an exclusive bound stands for its inclusive
    /// one when both are written, and a numeric format's range narrows a wider bound.
    pub(crate) fn limits(&self) -> Limits {
        let format = self.format.and_then(NumericFormat::range);
        let (min, exclusive_min) = match (self.exclusive_minimum, self.minimum) {
            (Some(x), _) => (Some(x), true),
            (None, min) => (min, false),
        };
        let (max, exclusive_max) = match (self.exclusive_maximum, self.maximum) {
            (Some(x), _) => (Some(x), true),
            (None, max) => (max, false),
        };
        let (min, exclusive_min) = match (min, format) {
            (Some(m), Some((lo, _))) if m < lo => (Some(lo), false),
            (None, Some((lo, _))) => (Some(lo), false),
            (min, _) => (min, exclusive_min),
        };
        let (max, exclusive_max) = match (max, format) {
            (Some(m), Some((_, hi))) if m > hi => (Some(hi), false),
            (None, Some((_, hi))) => (Some(hi), false),
            (max, _) => (max, exclusive_max),
        };
        Limits {
            min,
            max,
            exclusive_min,
            exclusive_max,
            multiple_of: self.multiple_of,
        }
    }
}

/// The interval of a number schema with each bound inclusive or not, and its step: what
/// plain values, edge numbers and random draws keep to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Limits {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub exclusive_min: bool,
    pub exclusive_max: bool,
    pub multiple_of: Option<f64>,
}

impl Limits {
    /// Whether `x` is inside.
    pub(crate) fn admits(&self, x: f64) -> bool {
        let above = self
            .min
            .is_none_or(|m| if self.exclusive_min { x > m } else { x >= m });
        let below = self
            .max
            .is_none_or(|m| if self.exclusive_max { x < m } else { x <= m });
        let multiple = self.multiple_of.is_none_or(|m| (x / m).fract() == 0.0);
        above && below && multiple
    }

    /// The plainest number inside: `preferred`, zero, one or minus one when admitted, else
    /// the lowest bound (one past an exclusive one) moved onto a multiple.
    pub(crate) fn plainest(&self, preferred: f64) -> f64 {
        let candidates = [preferred, 0.0, 1.0, -1.0];
        if let Some(x) = candidates.into_iter().find(|x| self.admits(*x)) {
            return x;
        }
        let start = self.min.unwrap_or(0.0) + if self.exclusive_min { 1.0 } else { 0.0 };
        let start = self.max.map_or(start, |max| start.min(max));
        self.multiple_of.map_or(start, |m| (start / m).ceil() * m)
    }
}

fn next_above(x: f64, step: f64, integer: bool) -> f64 {
    if integer {
        (x + 1.0).floor()
    } else {
        x + step
    }
}

fn next_below(x: f64, step: f64, integer: bool) -> f64 {
    if integer {
        (x - 1.0).ceil()
    } else {
        x - step
    }
}

/// Valid-looking numbers: zero, one, minus one when inside, then the lowest and highest
/// admitted values on a multiple, and a point between them.
pub(crate) fn candidates(map: &Map<String, Value>, integer: bool) -> Vec<Value> {
    let rules = Rules::read(map);
    let (lo, hi) = rules.range(integer);
    let mut out: Vec<f64> = vec![0.0, 1.0, -1.0];
    if !integer {
        out.push(1.5);
    }
    if let Some(m) = rules.multiple_of {
        out.push(m);
    }
    if let Some(lo) = lo {
        out.push(rules.snap(lo, true));
        out.push(rules.snap(lo, true) + rules.multiple_of.unwrap_or(1.0));
    }
    if let Some(hi) = hi {
        out.push(rules.snap(hi, false));
    }
    if let (Some(lo), Some(hi)) = (lo, hi) {
        out.push(rules.snap((lo + hi) / 2.0, true));
    }
    out.into_iter()
        .filter(|x| x.is_finite())
        .map(number_value)
        .collect()
}

/// Edge numbers a free-form number field is tried with (zero, negative, a fraction, the
/// largest and smallest magnitudes; for integers the largest a double holds exactly), named,
/// those `admits` lets through.
pub(crate) fn edges(integer: bool, admits: impl Fn(f64) -> bool) -> Vec<(&'static str, Value)> {
    let candidates: &[(&str, f64)] = if integer {
        &[
            ("zero", 0.0),
            ("negative", -1.0),
            ("large", 9_007_199_254_740_991.0),
            ("large-negative", -9_007_199_254_740_991.0),
        ]
    } else {
        &[
            ("zero", 0.0),
            ("negative", -1.0),
            ("fractional", 0.5),
            ("large", 1.0e300),
            ("large-negative", -1.0e300),
            ("small", 1.0e-300),
        ]
    };
    candidates
        .iter()
        .filter(|(_, x)| admits(*x))
        .map(|(name, x)| {
            let value = if integer {
                Value::from(*x as i64)
            } else {
                number_value(*x)
            };
            (*name, value)
        })
        .collect()
}

/// Exactly at each bound (accept), one step past it (reject), and a non-multiple.
pub(crate) fn variants(map: &Map<String, Value>, value: &Value, at: &str) -> Vec<Variant> {
    let rules = Rules::read(map);
    let integer = map.get(Keyword::Type.name()).and_then(Value::as_str) == Some("integer");
    let x = value.as_f64().unwrap_or(0.0);
    let mut out = Vec::new();
    let mut push = |variant: Variant| out.push(variant);
    if let Some(min) = rules.minimum {
        push(Variant::boundary(
            Keyword::Minimum.name(),
            at,
            number_value(rules.snap(min, true)),
        ));
        // One step below: the next multiple down, the next integer, or a hair under.
        let below = rules.snap(min - rules.step(min, integer), false);
        push(Variant::reject(
            Family::BelowMinimum,
            at,
            number_value(below),
        ));
    }
    if let Some(min) = rules.exclusive_minimum {
        let inside = rules.snap(next_above(min, rules.step(min, integer), integer), true);
        push(Variant::boundary(
            "exclusive-minimum",
            at,
            number_value(inside),
        ));
        push(Variant::reject(
            Family::AtExclusiveMinimum,
            at,
            number_value(min),
        ));
    }
    if let Some(max) = rules.maximum {
        push(Variant::boundary(
            Keyword::Maximum.name(),
            at,
            number_value(rules.snap(max, false)),
        ));
        let above = rules.snap(max + rules.step(max, integer), true);
        push(Variant::reject(
            Family::AboveMaximum,
            at,
            number_value(above),
        ));
    }
    if let Some(max) = rules.exclusive_maximum {
        let inside = rules.snap(next_below(max, rules.step(max, integer), integer), false);
        push(Variant::boundary(
            "exclusive-maximum",
            at,
            number_value(inside),
        ));
        push(Variant::reject(
            Family::AtExclusiveMaximum,
            at,
            number_value(max),
        ));
    }
    if let Some(m) = rules.multiple_of {
        for off in [x + m / 2.0, x + m * 1.5, m / 2.0, m * 1.5] {
            push(Variant::reject(Family::NotMultiple, at, number_value(off)));
        }
    }
    if let Some(format) = rules.format {
        // Past a tighter `minimum`/`maximum`, a value breaks those too: not this format's.
        let inside = |v: &Variant| v.value.as_f64().is_some_and(|x| rules.bounds_admit(x));
        out.extend(format_variants(format, at).into_iter().filter(inside));
    }
    if integer && (value.is_i64() || value.is_u64()) {
        // `14037.0` is an integer to JSON Schema; a server that parses it as a float, or
        // refuses it, is caught here.
        out.push(Variant::boundary("integer-as-float", at, float_of(x)));
    }
    out
}

/// A format's limits (accept) and the values just past them (reject, as a bad format).
fn format_variants(format: NumericFormat, at: &str) -> Vec<Variant> {
    let name = format.name();
    let mut out = Vec::new();
    if let Some((lo, hi)) = format.limits() {
        out.push(Variant::boundary(&format!("{name}-min"), at, lo));
        out.push(Variant::boundary(&format!("{name}-max"), at, hi));
    }
    for outside in format.just_outside() {
        let note = format!("{name}:{outside}");
        out.push(Variant::reject(Family::BadFormat, at, outside).with_note(note));
    }
    out
}

/// `x` written with a fraction part (`3.0`).
fn float_of(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}
