//! `properties`, `required`, `additionalProperties`, `patternProperties`, `propertyNames`,
//! `minProperties`/`maxProperties`, `dependentRequired` and `unevaluatedProperties`:
//! objects built property by property from each property's own valid values, every subset of
//! missing required properties at any depth, and one break of each constraint.

use super::{lift, Solver, Variant};
use crate::generate::Family;
use crate::schema::escape;
use crate::schema::Keyword;
use serde_json::{Map, Value};

/// Above this many required properties, only singletons, pairs and the full set are planned.
pub(crate) const MAX_EXHAUSTIVE_REQUIRED: usize = 12;

/// Names tried for properties the schema does not list.
const EXTRA_NAMES: [&str; 6] = ["specgate", "a", "b", "c", "extra", "zz"];

/// An object schema's constraints.
struct Rules<'a> {
    pointer: &'a str,
    map: &'a Map<String, Value>,
    required: Vec<String>,
    min: usize,
    max: Option<usize>,
}

impl<'a> Rules<'a> {
    fn read(pointer: &'a str, map: &'a Map<String, Value>) -> Rules<'a> {
        let required = match map.get(Keyword::Required.name()) {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Rules {
            pointer,
            map,
            required,
            min: super::count(map, Keyword::MinProperties.name()).unwrap_or(0),
            max: super::count(map, Keyword::MaxProperties.name()),
        }
    }

    fn listed(&self) -> Vec<&'a str> {
        match self.map.get(Keyword::Properties.name()) {
            Some(Value::Object(properties)) => properties.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The pointer of the schema a property called `name` must pass, `None` for any value.
    fn schema_of(&self, name: &str) -> Option<String> {
        if let Some(Value::Object(properties)) = self.map.get(Keyword::Properties.name()) {
            if properties.contains_key(name) {
                return Some(format!("{}/properties/{}", self.pointer, escape(name)));
            }
        }
        if let Some(Value::Object(patterns)) = self.map.get(Keyword::PatternProperties.name()) {
            for pattern in patterns.keys() {
                if regex::Regex::new(pattern).is_ok_and(|r| r.is_match(name)) {
                    return Some(format!(
                        "{}/patternProperties/{}",
                        self.pointer,
                        escape(pattern)
                    ));
                }
            }
        }
        self.map
            .contains_key(Keyword::AdditionalProperties.name())
            .then(|| format!("{}/additionalProperties", self.pointer))
    }

    /// The properties `name` makes required through `dependentRequired`.
    fn dependants(&self, name: &str) -> Vec<String> {
        match self
            .map
            .get(Keyword::DependentRequired.name())
            .and_then(|d| d.get(name))
        {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A value for property `name`: its schema's `choice`-th valid value.
fn value_for(
    solver: &Solver,
    rules: &Rules<'_>,
    name: &str,
    choice: usize,
    depth: usize,
) -> Option<Value> {
    match rules.schema_of(name) {
        Some(pointer) => {
            let values = solver.valid(&pointer, depth + 1);
            values.get(choice).or(values.first()).cloned()
        }
        None => Some(Value::String("specgate".to_owned())),
    }
}

/// An object with `names` (plus what `dependentRequired` adds), or `None` when one of them
/// has no valid value.
fn build(
    solver: &Solver,
    rules: &Rules<'_>,
    names: &[String],
    choice: usize,
    depth: usize,
) -> Option<Value> {
    let mut object = Map::new();
    let mut pending: Vec<String> = names.to_vec();
    while let Some(name) = pending.first().cloned() {
        pending.remove(0);
        if object.contains_key(&name) {
            continue;
        }
        object.insert(
            name.clone(),
            value_for(solver, rules, &name, choice, depth)?,
        );
        pending.extend(rules.dependants(&name));
    }
    Some(Value::Object(object))
}

/// Names for properties the schema does not list: from `propertyNames`, patterns, or plain.
fn extra_names(solver: &Solver, rules: &Rules<'_>, depth: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if rules.map.contains_key(Keyword::PropertyNames.name()) {
        let pointer = format!("{}/propertyNames", rules.pointer);
        out.extend(
            solver
                .valid(&pointer, depth + 1)
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned)),
        );
    }
    if let Some(Value::Object(patterns)) = rules.map.get(Keyword::PatternProperties.name()) {
        for pattern in patterns.keys() {
            out.extend(super::string::matching(pattern, 3));
        }
    }
    out.extend(EXTRA_NAMES.iter().map(|s| (*s).to_owned()));
    let listed = rules.listed();
    out.retain(|name| !listed.contains(&name.as_str()));
    out
}

/// The required properties alone, every listed property, a second choice of values, and
/// objects with exactly `minProperties` and `maxProperties` properties.
pub(crate) fn candidates(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    depth: usize,
) -> Vec<Value> {
    let rules = Rules::read(pointer, map);
    let listed: Vec<String> = rules.listed().into_iter().map(str::to_owned).collect();
    let mut all = rules.required.clone();
    all.extend(
        listed
            .iter()
            .filter(|n| !rules.required.contains(n))
            .cloned(),
    );
    let mut out = Vec::new();
    for choice in 0..2 {
        out.extend(build(solver, &rules, &rules.required, choice, depth));
    }
    out.extend(build(solver, &rules, &all, 0, depth));
    let extras = extra_names(solver, &rules, depth);
    let mut sized = all.clone();
    for name in &extras {
        if sized.len() >= rules.min.max(rules.max.map_or(0, |m| m.min(8))) {
            break;
        }
        sized.push(name.clone());
    }
    for len in [Some(rules.min), rules.max] {
        let Some(len) = len else { continue };
        let names: Vec<String> = sized
            .iter()
            .take(len.max(rules.required.len()))
            .cloned()
            .collect();
        out.extend(build(solver, &rules, &names, 0, depth));
    }
    // A required name that no valid value can be found for leaves only objects that omit
    // it; the checks drop them.
    out
}

/// Missing required subsets, extra or badly named properties, too few or too many
/// properties, a trigger without its dependants, and each property's own variants.
pub(crate) fn variants(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    object: &Map<String, Value>,
    at: &str,
    depth: usize,
) -> Vec<Variant> {
    let rules = Rules::read(pointer, map);
    let mut out = Vec::new();
    missing_required(&rules, object, at, &mut out);
    extra_properties(solver, &rules, object, at, depth, &mut out);
    counts(solver, &rules, object, at, depth, &mut out);
    dependencies(solver, &rules, object, at, depth, &mut out);
    properties(solver, &rules, object, at, depth, &mut out);
    out
}

fn missing_required(
    rules: &Rules<'_>,
    object: &Map<String, Value>,
    at: &str,
    out: &mut Vec<Variant>,
) {
    let present: Vec<&String> = rules
        .required
        .iter()
        .filter(|n| object.contains_key(*n))
        .collect();
    for subset in required_subsets(present.len()) {
        let names: Vec<&str> = subset.iter().map(|&i| present[i].as_str()).collect();
        let mut copy = object.clone();
        copy.retain(|name, _| !names.contains(&name.as_str()));
        let note = names
            .iter()
            .map(|n| format!("{at}/{}", escape(n)))
            .collect::<Vec<_>>()
            .join(",");
        let mut variant = Variant::reject(Family::MissingRequired, at, Value::Object(copy));
        variant.at = note;
        out.push(variant);
    }
}

fn with(object: &Map<String, Value>, name: &str, value: Value) -> Value {
    let mut copy = object.clone();
    copy.insert(name.to_owned(), value);
    Value::Object(copy)
}

fn extra_properties(
    solver: &Solver,
    rules: &Rules<'_>,
    object: &Map<String, Value>,
    at: &str,
    depth: usize,
    out: &mut Vec<Variant>,
) {
    let closed = [
        rules.map.get(Keyword::AdditionalProperties.name()),
        rules.map.get(Keyword::UnevaluatedProperties.name()),
    ]
    .into_iter()
    .flatten()
    .any(|v| v == &Value::Bool(false));
    let name = "specgate-extra";
    if let Some(Value::Object(_)) = rules.map.get(Keyword::UnevaluatedProperties.name()) {
        let pointer = format!("{}/unevaluatedProperties", rules.pointer);
        if let Some(bad) = solver.refused(&pointer) {
            out.push(Variant::reject(
                Family::ExtraProperty,
                at,
                with(object, name, bad),
            ));
        }
    }
    if closed {
        out.push(Variant::reject(
            Family::ExtraProperty,
            at,
            with(object, name, Value::String("specgate".into())),
        ));
    } else if rules.map.contains_key(Keyword::AdditionalProperties.name()) {
        let pointer = format!("{}/additionalProperties", rules.pointer);
        if let Some(first) = solver.first(&pointer, depth + 1) {
            let child = solver.variants(&pointer, &first, &format!("{at}/{name}"), depth + 1);
            out.extend(
                lift(child, |v| with(object, name, v)).filter(|v| v.side == super::Side::Reject),
            );
        }
    }
    if rules.map.contains_key(Keyword::PropertyNames.name()) {
        let pointer = format!("{}/propertyNames", rules.pointer);
        let tries = ["", "~", "specgate-extra-long-name", "0", "A"];
        if let Some(bad) = tries
            .iter()
            .find(|t| !solver.admits(&pointer, &Value::String((**t).to_owned())))
        {
            let value = value_for(solver, rules, bad, 0, depth).unwrap_or(Value::Null);
            out.push(
                Variant::reject(Family::PropertyName, at, with(object, bad, value)).with_note(*bad),
            );
        }
    }
    if let Some(Value::Object(patterns)) = rules.map.get(Keyword::PatternProperties.name()) {
        for pattern in patterns.keys() {
            let Some(name) = super::string::matching(pattern, 1).into_iter().next() else {
                continue;
            };
            let pointer = format!("{}/patternProperties/{}", rules.pointer, escape(pattern));
            let base = object
                .get(&name)
                .cloned()
                .or_else(|| solver.first(&pointer, depth + 1));
            if let Some(base) = base.or(Some(Value::Null)) {
                let child = solver.variants(
                    &pointer,
                    &base,
                    &format!("{at}/{}", escape(&name)),
                    depth + 1,
                );
                out.extend(
                    lift(child, |v| with(object, &name, v))
                        .filter(|v| v.side == super::Side::Reject),
                );
            }
        }
    }
}

fn counts(
    solver: &Solver,
    rules: &Rules<'_>,
    object: &Map<String, Value>,
    at: &str,
    depth: usize,
    out: &mut Vec<Variant>,
) {
    if rules.min > 0 {
        let mut fewer = object.clone();
        let optional: Vec<String> = fewer
            .keys()
            .filter(|n| !rules.required.contains(n))
            .cloned()
            .collect();
        for name in optional.iter().chain(rules.required.iter()) {
            if fewer.len() < rules.min {
                break;
            }
            fewer.remove(name);
        }
        out.push(Variant::reject(
            Family::MinPropertiesMinus,
            at,
            Value::Object(fewer),
        ));
    }
    if let Some(max) = rules.max.filter(|max| *max < 64) {
        let mut more = object.clone();
        let listed: Vec<String> = rules.listed().into_iter().map(str::to_owned).collect();
        for name in listed
            .iter()
            .cloned()
            .chain(extra_names(solver, rules, depth))
            .chain((0..max + 1).map(|i| format!("p{i}")))
        {
            if more.len() > max {
                break;
            }
            if !more.contains_key(&name) {
                let value = value_for(solver, rules, &name, 0, depth).unwrap_or(Value::Null);
                more.insert(name, value);
            }
        }
        out.push(Variant::reject(
            Family::MaxPropertiesPlus,
            at,
            Value::Object(more),
        ));
    }
}

fn dependencies(
    solver: &Solver,
    rules: &Rules<'_>,
    object: &Map<String, Value>,
    at: &str,
    depth: usize,
    out: &mut Vec<Variant>,
) {
    let Some(Value::Object(dependent)) = rules.map.get(Keyword::DependentRequired.name()) else {
        return;
    };
    for (trigger, names) in dependent {
        let Value::Array(names) = names else { continue };
        let Some(value) = object
            .get(trigger)
            .cloned()
            .or_else(|| value_for(solver, rules, trigger, 0, depth))
        else {
            continue;
        };
        for name in names.iter().filter_map(Value::as_str) {
            let mut copy = object.clone();
            copy.insert(trigger.clone(), value.clone());
            copy.remove(name);
            out.push(
                Variant::reject(Family::DependentRequired, at, Value::Object(copy))
                    .with_note(format!("{trigger}->{name}")),
            );
        }
    }
}

fn properties(
    solver: &Solver,
    rules: &Rules<'_>,
    object: &Map<String, Value>,
    at: &str,
    depth: usize,
    out: &mut Vec<Variant>,
) {
    for name in rules.listed() {
        let pointer = format!("{}/properties/{}", rules.pointer, escape(name));
        // A property no value satisfies (`false`, `not: {}`) still has values that break it.
        let current = object
            .get(name)
            .cloned()
            .or_else(|| solver.first(&pointer, depth + 1))
            .unwrap_or(Value::Null);
        let child = solver.variants(
            &pointer,
            &current,
            &format!("{at}/{}", escape(name)),
            depth + 1,
        );
        out.extend(lift(child, |v| with(object, name, v)));
    }
}

/// The subsets of `k` required properties to leave out, smallest first: all `2^k - 1` of them
/// up to [`MAX_EXHAUSTIVE_REQUIRED`], beyond that every singleton, every pair and the full set.
pub(crate) fn required_subsets(k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return Vec::new();
    }
    if k > MAX_EXHAUSTIVE_REQUIRED {
        let singles = (0..k).map(|i| vec![i]);
        let pairs = (0..k).flat_map(|i| (i + 1..k).map(move |j| vec![i, j]));
        return singles.chain(pairs).chain([(0..k).collect()]).collect();
    }
    let mut masks: Vec<u32> = (1..(1u32 << k)).collect();
    masks.sort_by_key(|m| (m.count_ones(), *m));
    masks
        .into_iter()
        .map(|m| (0..k).filter(|i| m & (1 << i) != 0).collect())
        .collect()
}

/// How many subsets [`required_subsets`] plans for `k` required properties.
pub(crate) fn required_subsets_total(k: usize) -> u64 {
    match k {
        0 => 0,
        k if k > MAX_EXHAUSTIVE_REQUIRED => (k + k * (k - 1) / 2 + 1) as u64,
        k => (1u64 << k) - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_of_three_are_all_seven_smallest_first() {
        let subsets = required_subsets(3);
        assert_eq!(subsets.len(), 7);
        assert_eq!(subsets[0], vec![0]);
        assert_eq!(subsets[6], vec![0, 1, 2]);
    }

    #[test]
    fn many_required_fields_plan_singletons_pairs_and_all() {
        assert_eq!(
            required_subsets(13).len() as u64,
            required_subsets_total(13)
        );
        assert_eq!(required_subsets_total(13), 13 + 78 + 1);
    }
}
