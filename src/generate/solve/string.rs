//! `minLength`, `maxLength` (in code points) and `pattern`; `format` is [`super::format`].
//!
//! A pattern's matching strings come from proptest's regex strategies (ECMA-262 classes such
//! as `\d` and `\w` are ASCII there, so they are rewritten before parsing); the checked
//! candidates keep only strings the schema's own validator accepts.

use super::{format, Solver, Variant};
use crate::generate::family;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
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
            min: super::count(map, "minLength").unwrap_or(0),
            max: super::count(map, "maxLength"),
            pattern: map
                .get("pattern")
                .and_then(Value::as_str)
                .map(str::to_owned),
            format: map.get("format").and_then(Value::as_str).map(str::to_owned),
        }
    }

    fn fits(&self, text: &str) -> bool {
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
    if let Some(pattern) = &rules.pattern {
        out.extend(matching(pattern, 16).into_iter().filter(|s| rules.fits(s)));
    }
    out.push(fitted("specgate", &rules));
    out.push("x".repeat(rules.min));
    if let Some(max) = rules.max.filter(|max| *max <= MAX_BOUNDARY) {
        out.push("x".repeat(max));
    }
    out.into_iter().map(Value::String).collect()
}

/// `word` cut to the maximum length and padded to the minimum.
fn fitted(word: &str, rules: &Rules) -> String {
    let mut text: String = word.chars().take(rules.max.unwrap_or(usize::MAX)).collect();
    while text.chars().count() < rules.min {
        text.push('x');
    }
    text
}

/// A pattern as proptest's regex parser reads it: ECMA-262's ASCII classes made explicit.
fn rust_pattern(pattern: &str) -> String {
    pattern
        .replace("\\d", "[0-9]")
        .replace("\\w", "[a-zA-Z0-9_]")
        .replace("\\p{Letter}", "\\p{L}")
}

/// Up to `n` distinct strings matching `pattern` (the simplest first), none when the pattern
/// is not one proptest can parse.
pub(crate) fn matching(pattern: &str, n: usize) -> Vec<String> {
    // proptest generates no anchors; a whole string matching the rest matches them too.
    let inner = pattern.strip_prefix('^').unwrap_or(pattern);
    let inner = match inner.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => inner,
    };
    let Ok(strategy) = proptest::string::string_regex(&rust_pattern(inner)) else {
        return Vec::new();
    };
    let mut runner = TestRunner::deterministic();
    let mut out: Vec<String> = Vec::new();
    for attempt in 0..n * 2 {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            break;
        };
        if attempt == 0 {
            // The simplest match: simplified as far as it goes.
            for _ in 0..256 {
                if !tree.simplify() {
                    break;
                }
            }
        }
        let text = tree.current();
        if !out.contains(&text) {
            out.push(text);
        }
        if out.len() == n {
            break;
        }
    }
    out
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
    if map.contains_key("minLength") {
        out.push(Variant::boundary(
            "min-length",
            at,
            resized(solver, pointer, text, rules.min),
        ));
        if rules.min > 0 {
            let short = resized(solver, pointer, text, rules.min - 1);
            out.push(Variant::reject(family::MIN_LENGTH_MINUS, at, short));
        }
    }
    if let Some(max) = rules.max.filter(|max| *max <= MAX_BOUNDARY) {
        out.push(Variant::boundary(
            "max-length",
            at,
            resized(solver, pointer, text, max),
        ));
        out.push(Variant::reject(
            family::MAX_LENGTH_PLUS,
            at,
            resized(solver, pointer, text, max + 1),
        ));
    }
    if let Some(pattern) = &rules.pattern {
        for miss in misses(pattern, text, &rules) {
            out.push(Variant::reject(
                family::PATTERN_MISS,
                at,
                Value::String(miss),
            ));
        }
    }
    if let Some(name) = &rules.format {
        for near in format::near_misses(name) {
            let note = (*near).to_owned();
            out.push(
                Variant::reject(family::BAD_FORMAT, at, Value::String(note.clone()))
                    .with_note(note),
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
        .and_then(|s| s.get("pattern"))
        .and_then(Value::as_str);
    pattern
        .map(|p| matching(p, 64))
        .and_then(|found| found.into_iter().find(|s| s.chars().count() == len))
        .map_or(candidate, Value::String)
}

/// Strings within the length limits that do not match `pattern`.
fn misses(pattern: &str, text: &str, rules: &Rules) -> Vec<String> {
    let Ok(regex) = regex_for(pattern) else {
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

fn regex_for(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&rust_pattern(pattern))
}
