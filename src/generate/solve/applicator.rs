//! `$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else` and `dependentSchemas`:
//! valid values combined from the branches' own (every branch of `anyOf`/`oneOf` proposed in
//! turn), and values that break the combination (no branch, two `oneOf` branches, the `not`,
//! an `if` without its `then`).

use super::{Solver, Variant};
use crate::generate::Family;
use crate::schema::Keyword;
use serde_json::{Map, Value};

/// Candidates kept from one product of candidate lists.
const PRODUCT: usize = 24;

/// The branch pointers of a list keyword.
fn branches(pointer: &str, map: &Map<String, Value>, key: &str) -> Vec<String> {
    match map.get(key) {
        Some(Value::Array(items)) => (0..items.len())
            .map(|i| format!("{pointer}/{key}/{i}"))
            .collect(),
        _ => Vec::new(),
    }
}

/// Two candidates as one: objects merged (the second's values win), else the second.
fn merge(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut merged = x.clone();
            for (k, v) in y {
                let combined = match merged.get(k) {
                    Some(old) => merge(old, v),
                    None => v.clone(),
                };
                merged.insert(k.clone(), combined);
            }
            Value::Object(merged)
        }
        (Value::Array(x), Value::Array(y)) => {
            let len = x.len().max(y.len());
            let items = (0..len)
                .map(|i| match (x.get(i), y.get(i)) {
                    (Some(a), Some(b)) => merge(a, b),
                    (Some(v), None) | (None, Some(v)) => v.clone(),
                    (None, None) => Value::Null,
                })
                .collect();
            Value::Array(items)
        }
        _ => b.clone(),
    }
}

/// Every candidate of `own` merged with every one of `other` (both alone when either is
/// empty), at most [`PRODUCT`] of them.
fn product(own: &[Value], other: &[Value]) -> Vec<Value> {
    if own.is_empty() {
        return other.to_vec();
    }
    if other.is_empty() {
        return own.to_vec();
    }
    let mut out = Vec::new();
    for a in own.iter().take(6) {
        for b in other.iter().take(6) {
            out.push(merge(a, b));
            out.push(merge(b, a));
        }
    }
    out.extend(other.iter().take(4).cloned());
    out.truncate(PRODUCT * 2);
    out
}

/// `own` candidates combined with what the applicators require.
pub(crate) fn combine(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    depth: usize,
    own: Vec<Value>,
) -> Vec<Value> {
    let mut pool = own;
    // Conjunctions: every branch must hold.
    if let Some(Value::String(target)) = map.get(Keyword::Ref.name()) {
        if let Some(resolved) = solver.resolve(pointer, target) {
            pool = product(&pool, &solver.valid(&resolved, depth + 1));
        }
    }
    for branch in branches(pointer, map, Keyword::AllOf.name()) {
        pool = product(&pool, &solver.valid(&branch, depth + 1));
    }
    // Disjunctions: one branch at a time, each branch's values early in the list.
    let mut options: Vec<Vec<Value>> = Vec::new();
    for key in [Keyword::AnyOf.name(), Keyword::OneOf.name()] {
        let lists: Vec<Vec<Value>> = branches(pointer, map, key)
            .iter()
            .map(|b| product(&pool, &solver.valid(b, depth + 1)))
            .collect();
        if !lists.is_empty() {
            options.push(interleave(lists));
        }
    }
    if map.contains_key(Keyword::If.name()) {
        let condition = solver.valid(&format!("{pointer}/if"), depth + 1);
        let then = solver.valid(&format!("{pointer}/then"), depth + 1);
        let otherwise = solver.valid(&format!("{pointer}/else"), depth + 1);
        let when = product(&product(&pool, &condition), &then);
        let unless = product(&pool, &otherwise);
        options.push(interleave(vec![when, unless]));
    }
    for option in options {
        pool = if pool.is_empty() {
            option
        } else {
            interleave(vec![option, pool])
        };
    }
    if let Some(Value::Object(dependent)) = map.get(Keyword::DependentSchemas.name()) {
        let mut extra = Vec::new();
        for name in dependent.keys() {
            let schema = format!("{pointer}/dependentSchemas/{}", crate::schema::escape(name));
            let needed = solver.valid(&schema, depth + 1);
            let triggered: Vec<Value> = pool
                .iter()
                .filter(|v| v.get(name).is_some())
                .cloned()
                .collect();
            extra.extend(product(&triggered, &needed));
        }
        pool.extend(extra);
    }
    pool
}

/// The lists' first items, then their second items, and so on.
fn interleave(lists: Vec<Vec<Value>>) -> Vec<Value> {
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..longest {
        for list in &lists {
            if let Some(v) = list.get(i) {
                out.push(v.clone());
            }
        }
    }
    out
}

/// Breaks of the applicators: each conjunct's own variants, no branch or two `oneOf`
/// branches, a value the `not` matches, an `if` that holds without its `then`, and a trigger
/// of `dependentSchemas` without what it needs.
pub(crate) fn variants(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    value: &Value,
    at: &str,
    depth: usize,
) -> Vec<Variant> {
    let mut out = Vec::new();
    if let Some(Value::String(target)) = map.get(Keyword::Ref.name()) {
        if let Some(resolved) = solver.resolve(pointer, target) {
            out.extend(solver.variants(&resolved, value, at, depth + 1));
        }
    }
    for branch in branches(pointer, map, Keyword::AllOf.name()) {
        out.extend(solver.variants(&branch, value, at, depth + 1));
    }
    for (key, kind) in [
        (Keyword::AnyOf.name(), Family::AnyOfNone),
        (Keyword::OneOf.name(), Family::OneOfNone),
    ] {
        let list = branches(pointer, map, key);
        if list.is_empty() {
            continue;
        }
        let mut tries: Vec<Value> = super::value::anything();
        for branch in &list {
            tries.extend(
                solver
                    .variants(branch, value, at, depth + 1)
                    .into_iter()
                    .map(|v| v.value),
            );
        }
        if let Some(none) = tries
            .into_iter()
            .find(|t| list.iter().all(|b| !solver.admits(b, t)))
        {
            out.push(Variant::reject(kind, at, none));
        }
    }
    let one_of = branches(pointer, map, Keyword::OneOf.name());
    if one_of.len() > 1 {
        let pool: Vec<Value> = one_of
            .iter()
            .flat_map(|b| solver.valid(b, depth + 1))
            .chain(super::value::anything())
            .collect();
        let pool: Vec<Value> = pool
            .iter()
            .flat_map(|v| [v.clone(), merge(value, v)])
            .collect();
        if let Some(two) = pool
            .into_iter()
            .find(|t| one_of.iter().filter(|b| solver.admits(b, t)).count() > 1)
        {
            out.push(Variant::reject(Family::OneOfTwo, at, two));
        }
    }
    if map.contains_key(Keyword::Not.name()) {
        let negated = format!("{pointer}/not");
        let matches = solver.valid(&negated, depth + 1);
        let merged: Vec<Value> = matches
            .iter()
            .map(|m| merge(value, m))
            .chain(matches.iter().cloned())
            .collect();
        if let Some(hit) = merged.into_iter().find(|m| solver.admits(&negated, m)) {
            out.push(Variant::reject(Family::NotMatched, at, hit));
        }
    }
    if map.contains_key(Keyword::If.name()) {
        out.extend(conditional(solver, pointer, value, at, depth));
    }
    if let (Some(Value::Object(dependent)), Value::Object(object)) =
        (map.get(Keyword::DependentSchemas.name()), value)
    {
        for name in dependent.keys() {
            let schema = format!("{pointer}/dependentSchemas/{}", crate::schema::escape(name));
            let mut triggered = object.clone();
            if !triggered.contains_key(name) {
                triggered.insert(name.clone(), Value::String("specgate".to_owned()));
            }
            let triggered = Value::Object(triggered);
            out.push(
                Variant::reject(Family::DependentSchema, at, triggered.clone())
                    .with_note(name.clone()),
            );
            for variant in solver.variants(&schema, &triggered, at, depth + 1) {
                if variant.side == super::Side::Reject {
                    out.push(Variant {
                        kind: Family::DependentSchema,
                        note: format!("{name}:{}", variant.kind),
                        ..variant
                    });
                }
            }
        }
    }
    out
}

/// Breaks of `then` on a value the `if` holds for, and of `else` on one it does not.
fn conditional(
    solver: &Solver,
    pointer: &str,
    value: &Value,
    at: &str,
    depth: usize,
) -> Vec<Variant> {
    let condition = format!("{pointer}/if");
    let mut tries = vec![value.clone()];
    let holding = solver.valid(&condition, depth + 1);
    tries.extend(holding.iter().map(|h| merge(value, h)));
    tries.extend(holding);
    tries.extend(solver.valid(pointer, depth));
    tries.extend(super::value::anything());
    let mut out = Vec::new();
    for (branch, kind, holds) in [
        (Keyword::Then.name(), Family::IfThen, true),
        (Keyword::Else.name(), Family::IfElse, false),
    ] {
        let target = format!("{pointer}/{branch}");
        if solver.schema(&target).is_none() {
            continue;
        }
        let Some(base) = tries.iter().find(|t| solver.admits(&condition, t) == holds) else {
            continue;
        };
        for mut variant in solver.variants(&target, base, at, depth + 1) {
            if variant.side == super::Side::Reject && variant.kind != Family::MissingRequired {
                let note = if variant.note.is_empty() {
                    String::new()
                } else {
                    format!("={}", variant.note)
                };
                variant.note = format!("{}{note}", variant.kind);
                variant.kind = kind;
            }
            out.push(variant);
        }
    }
    out
}
