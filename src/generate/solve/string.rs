//! `minLength`, `maxLength` (in code points) and `pattern`; `format` is [`super::format`].
//!
//! A pattern's matching strings come from [`super::pattern`], built from the regex's syntax
//! tree at the lengths the schema allows; the checked candidates keep only strings the
//! schema's own validator accepts.

use super::pattern::Pattern;
use super::{format, Solver, Variant};
use crate::generate::Family;
use crate::schema::Keyword;
use serde_json::{Map, Value};

/// The longest boundary string proposed; longer limits get no exact-length boundary.
const MAX_BOUNDARY: usize = 4096;

/// A string schema's constraints.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    pub min: usize,
    pub max: Option<usize>,
    pub pattern: Option<String>,
    pub format: Option<String>,
}

impl Rules {
    pub(crate) fn read(map: &Map<String, Value>) -> Rules {
        Rules {
            min: super::count(map, Keyword::MinLength.name()).unwrap_or(0),
            max: super::count(map, Keyword::MaxLength.name()),
            pattern: map
                .get(Keyword::Pattern.name())
                .and_then(Value::as_str)
                .map(str::to_owned),
            format: map
                .get(Keyword::Format.name())
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// Whether `text` is within the length limits.
    pub(crate) fn fits(&self, text: &str) -> bool {
        let len = text.chars().count();
        len >= self.min && self.max.is_none_or(|max| len <= max)
    }
}

/// Valid-looking strings: the format's forms, strings matching the pattern, a plain word
/// fitted to the lengths, and the strings exactly at each length limit.
pub(crate) fn candidates(solver: &Solver, pointer: &str, map: &Map<String, Value>) -> Vec<Value> {
    let _ = (solver, pointer);
    let rules = Rules::read(map);
    let mut out: Vec<String> = Vec::new();
    if let Some(name) = &rules.format {
        out.extend(format::valid(name).iter().map(|s| (*s).to_owned()));
    }
    if let Some(pattern) = rules.pattern.as_deref().and_then(Pattern::parse) {
        out.extend(pattern.within(rules.min, rules.max, MAX_BOUNDARY, 16));
    }
    out.push(fitted("specgate", &rules));
    out.push("x".repeat(rules.min));
    if let Some(max) = rules.max.filter(|max| *max <= MAX_BOUNDARY) {
        out.push("x".repeat(max));
    }
    out.into_iter().map(Value::String).collect()
}

/// Edge strings a free-form string field is tried with (empty, one character, long, accents,
/// CJK, emoji, whitespace), named, those within the lengths `min..=max` (in code points).
pub(crate) fn edges(min: usize, max: Option<usize>) -> Vec<(&'static str, Value)> {
    let candidates = [
        ("empty", String::new()),
        ("one-char", "a".to_owned()),
        ("long-256", "a".repeat(256)),
        ("long-4096", "a".repeat(4096)),
        ("accents", "Zoë Ñandú Çelik".to_owned()),
        ("cjk", "東京都渋谷区".to_owned()),
        ("emoji", "😀🎉👍🏽".to_owned()),
        ("whitespace", " \t ".to_owned()),
    ];
    candidates
        .into_iter()
        .filter(|(_, s)| {
            let len = s.chars().count();
            len >= min && max.is_none_or(|max| len <= max)
        })
        .map(|(name, s)| (name, Value::String(s)))
        .collect()
}

/// The plainest string of `rules`: the format's plainest form, else a short plain word
/// fitted to the lengths (the pattern is left to the caller's check).
pub(crate) fn plainest(rules: &Rules) -> String {
    match rules
        .format
        .as_deref()
        .and_then(|f| format::valid(f).first())
    {
        Some(example) => (*example).to_owned(),
        None => fitted("specgate", rules),
    }
}

/// `word` cut to the maximum length and padded to the minimum.
fn fitted(word: &str, rules: &Rules) -> String {
    let mut text: String = word.chars().take(rules.max.unwrap_or(usize::MAX)).collect();
    while text.chars().count() < rules.min {
        text.push('x');
    }
    text
}

/// Up to `n` distinct strings matching `pattern` (the shortest first), none when the pattern
/// is not one `regex-syntax` reads.
pub(crate) fn matching(pattern: &str, n: usize) -> Vec<String> {
    Pattern::parse(pattern).map_or_else(Vec::new, |p| p.within(0, None, MAX_BOUNDARY, n))
}

/// Lengths exactly at each limit (accept), one past each limit (reject), a string that
/// misses the pattern, and near misses of the format.
pub(crate) fn variants(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    text: &str,
    at: &str,
) -> Vec<Variant> {
    let rules = Rules::read(map);
    let mut out = Vec::new();
    let len = text.chars().count();
    if map.contains_key(Keyword::MinLength.name()) {
        out.push(Variant::boundary(
            "min-length",
            at,
            resized(solver, pointer, text, rules.min),
        ));
        if rules.min > 0 {
            let short = resized(solver, pointer, text, rules.min - 1);
            out.push(Variant::reject(Family::MinLengthMinus, at, short));
        }
    }
    if let Some(max) = rules.max.filter(|max| *max <= MAX_BOUNDARY) {
        out.push(Variant::boundary(
            "max-length",
            at,
            resized(solver, pointer, text, max),
        ));
        out.push(Variant::reject(
            Family::MaxLengthPlus,
            at,
            resized(solver, pointer, text, max + 1),
        ));
    }
    if let Some(pattern) = &rules.pattern {
        for miss in misses(pattern, text, &rules) {
            out.push(Variant::reject(
                Family::PatternMiss,
                at,
                Value::String(miss),
            ));
        }
    }
    if let Some(name) = &rules.format {
        for near in format::near_misses(name) {
            let note = (*near).to_owned();
            out.push(
                Variant::reject(Family::BadFormat, at, Value::String(note.clone())).with_note(note),
            );
        }
        for form in format::valid(name).iter().skip(1) {
            out.push(Variant::boundary(
                &format!("{name}-form"),
                at,
                Value::String((*form).to_owned()),
            ));
        }
    }
    let _ = len;
    out
}

/// `text` made exactly `len` code points long, keeping as much of it as the schema's
/// other limits allow: a matching string of that length when the pattern gives one.
fn resized(solver: &Solver, pointer: &str, text: &str, len: usize) -> Value {
    let mut resized: String = text.chars().take(len).collect();
    let fill = text.chars().last().unwrap_or('x');
    while resized.chars().count() < len {
        resized.push(fill);
    }
    let candidate = Value::String(resized);
    if solver.admits(pointer, &candidate) || len == 0 {
        return candidate;
    }
    let pattern = solver
        .schema(pointer)
        .and_then(|s| s.get(Keyword::Pattern.name()))
        .and_then(Value::as_str);
    pattern
        .and_then(Pattern::parse)
        .and_then(|p| p.of_length(len, 0))
        .map_or(candidate, Value::String)
}

/// Strings within the length limits that do not match `pattern`.
fn misses(pattern: &str, text: &str, rules: &Rules) -> Vec<String> {
    let Some(regex) = Pattern::parse(pattern) else {
        return Vec::new();
    };
    let mut tries: Vec<String> = vec![
        format!("{text}~"),
        format!("~{text}"),
        "~".repeat(rules.min.max(1)),
        String::new(),
        " ".repeat(rules.min.max(1)),
        "0".repeat(rules.min.max(1)),
        "a".repeat(rules.min.max(1)),
        text.chars().rev().collect(),
    ];
    tries.retain(|s| rules.fits(s) && !regex.is_match(s));
    tries.truncate(1);
    tries
}
