//! `items`, `prefixItems`, `contains`/`minContains`/`maxContains`, `minItems`/`maxItems`,
//! `uniqueItems` and `unevaluatedItems`: arrays built item by item from each position's own
//! valid values, their length boundaries, and one break of each constraint.

use super::{lift, with_item, Solver, Variant};
use crate::generate::Family;
use crate::schema::Keyword;
use serde_json::{Map, Value};

/// The longest array proposed for an exact `maxItems` boundary.
const MAX_BOUNDARY: usize = 64;

/// An array schema's constraints, with the pointers of its item schemas.
#[derive(Debug, Clone)]
struct Rules {
    prefix: Vec<String>,
    /// `items`: `None` when absent, the pointer otherwise.
    items: Option<String>,
    contains: Option<String>,
    min: usize,
    max: Option<usize>,
    min_contains: usize,
    max_contains: Option<usize>,
    unique: bool,
}

impl Rules {
    fn read(pointer: &str, map: &Map<String, Value>) -> Rules {
        let prefix = match map.get(Keyword::PrefixItems.name()) {
            Some(Value::Array(items)) => (0..items.len())
                .map(|i| format!("{pointer}/prefixItems/{i}"))
                .collect(),
            _ => Vec::new(),
        };
        let contains = map
            .contains_key(Keyword::Contains.name())
            .then(|| format!("{pointer}/contains"));
        Rules {
            prefix,
            items: map
                .contains_key(Keyword::Items.name())
                .then(|| format!("{pointer}/items")),
            min_contains: super::count(map, Keyword::MinContains.name())
                .unwrap_or(usize::from(contains.is_some())),
            max_contains: super::count(map, Keyword::MaxContains.name()),
            contains,
            min: super::count(map, Keyword::MinItems.name()).unwrap_or(0),
            max: super::count(map, Keyword::MaxItems.name()),
            unique: map.get(Keyword::UniqueItems.name()) == Some(&Value::Bool(true)),
        }
    }

    /// The schema of item `i` (`None`: any value).
    fn item_schema(&self, i: usize) -> Option<&str> {
        self.prefix
            .get(i)
            .map(String::as_str)
            .or(self.items.as_deref())
    }
}

/// The valid values for position `i`, or `None` when any value will do.
fn item_values(solver: &Solver, rules: &Rules, i: usize, depth: usize) -> Option<Vec<Value>> {
    rules.item_schema(i).map(|p| solver.valid(p, depth + 1))
}

/// An array of `len` items, each the `choice`-th valid value of its position (distinct
/// items when `uniqueItems`), with the contained values first when `contains` needs them.
fn build(solver: &Solver, rules: &Rules, len: usize, choice: usize, depth: usize) -> Option<Value> {
    let mut items: Vec<Value> = Vec::with_capacity(len);
    let contained: Vec<Value> = match &rules.contains {
        Some(pointer) => solver.valid(pointer, depth + 1),
        None => Vec::new(),
    };
    let mut wanted_contains = if rules.contains.is_some() {
        rules.min_contains
    } else {
        0
    };
    for i in 0..len {
        let options = item_values(solver, rules, i, depth).unwrap_or_else(super::value::anything);
        let pick = |pool: &[Value], items: &[Value], offset: usize| {
            (0..pool.len())
                .map(|k| &pool[(k + offset) % pool.len()])
                .find(|v| !rules.unique || !items.contains(v))
                .cloned()
        };
        let fitting_contains: Vec<Value> = contained
            .iter()
            .filter(|c| rules.item_schema(i).is_none_or(|p| solver.admits(p, c)))
            .cloned()
            .collect();
        let item = if wanted_contains > 0 && !fitting_contains.is_empty() {
            wanted_contains -= 1;
            pick(&fitting_contains, &items, choice)?
        } else {
            let avoiding: Vec<Value> = options
                .iter()
                .filter(|v| {
                    rules
                        .contains
                        .as_deref()
                        .is_none_or(|p| !solver.admits(p, v))
                        || rules.max_contains.is_none()
                })
                .cloned()
                .collect();
            let pool = if avoiding.is_empty() {
                &options
            } else {
                &avoiding
            };
            pick(pool, &items, choice)?
        };
        items.push(item);
    }
    Some(Value::Array(items))
}

/// Arrays of the shortest admitted length, a little longer, and exactly `maxItems` long.
pub(crate) fn candidates(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    depth: usize,
) -> Vec<Value> {
    let rules = Rules::read(pointer, map);
    let shortest = rules.min.max(if rules.contains.is_some() {
        rules.min_contains
    } else {
        0
    });
    let mut lengths = vec![
        shortest,
        shortest.max(rules.prefix.len()),
        shortest + 1,
        shortest + 2,
    ];
    if let Some(max) = rules.max {
        lengths.retain(|len| *len <= max);
        if max <= MAX_BOUNDARY {
            lengths.push(max);
        }
    }
    let mut out = Vec::new();
    for len in lengths {
        for choice in 0..2 {
            out.extend(build(solver, &rules, len, choice, depth));
        }
    }
    out
}

/// Length boundaries, one item too few or too many, a duplicate, too few or too many
/// contained items, an unevaluated item, and each item's own variants.
pub(crate) fn variants(
    solver: &Solver,
    pointer: &str,
    map: &Map<String, Value>,
    items: &[Value],
    at: &str,
    depth: usize,
) -> Vec<Variant> {
    let rules = Rules::read(pointer, map);
    let mut out = Vec::new();
    if rules.min > 0 {
        let short = Value::Array(items.iter().take(rules.min - 1).cloned().collect());
        out.push(Variant::reject(Family::MinItemsMinus, at, short));
        if let Some(exact) = build(solver, &rules, rules.min, 0, depth) {
            out.push(Variant::boundary("min-items", at, exact));
        }
    }
    if let Some(max) = rules.max.filter(|max| *max <= MAX_BOUNDARY) {
        let long = build(solver, &rules, max + 1, 0, depth)
            .or_else(|| longer(solver, &rules, items, max + 1, depth));
        out.extend(long.map(|v| Variant::reject(Family::MaxItemsPlus, at, v)));
        if let Some(exact) = build(solver, &rules, max, 0, depth) {
            out.push(Variant::boundary("max-items", at, exact));
        }
    }
    if rules.unique {
        let seed = items
            .first()
            .cloned()
            .or_else(|| match item_values(solver, &rules, 0, depth) {
                Some(values) => values.into_iter().next(),
                None => Some(Value::String("specgate".into())),
            });
        if let Some(first) = seed {
            let mut duplicated = items.to_vec();
            duplicated.insert(0, first.clone());
            if duplicated.len() < 2 {
                duplicated.push(first);
            }
            out.push(Variant::reject(
                Family::DuplicateItem,
                at,
                Value::Array(duplicated),
            ));
        }
    }
    if let Some(contains) = &rules.contains {
        let without: Vec<Value> = items
            .iter()
            .filter(|v| !solver.admits(contains, v))
            .cloned()
            .collect();
        out.push(Variant::reject(
            Family::ContainsTooFew,
            at,
            Value::Array(without),
        ));
        if let Some(max) = rules.max_contains {
            if let Some(found) = solver.first(contains, depth + 1) {
                let mut many = items.to_vec();
                let already = items.iter().filter(|v| solver.admits(contains, v)).count();
                for _ in already..=max {
                    many.push(found.clone());
                }
                out.push(Variant::reject(
                    Family::ContainsTooMany,
                    at,
                    Value::Array(many),
                ));
            }
        }
    }
    // Items past the prefix: filled up to it with each position's value (or null).
    let mut padded = items.to_vec();
    while padded.len() < rules.prefix.len() {
        let fill = solver
            .first(&rules.prefix[padded.len()], depth + 1)
            .unwrap_or(Value::Null);
        padded.push(fill);
    }
    let extra = match map.get(Keyword::UnevaluatedItems.name()) {
        Some(Value::Object(_)) => solver.refused(&format!("{pointer}/unevaluatedItems")),
        _ => unevaluated_item(solver, &rules),
    };
    if map.get(Keyword::Items.name()) == Some(&Value::Bool(false))
        || map.contains_key(Keyword::UnevaluatedItems.name())
    {
        if let Some(extra) = extra {
            out.push(Variant::reject(
                Family::ExtraItem,
                at,
                with_item(&padded, padded.len(), extra),
            ));
        }
    }
    for i in 0..padded.len().min(rules.prefix.len().max(1)) {
        let Some(schema) = rules.item_schema(i) else {
            continue;
        };
        let child = solver.variants(schema, &padded[i], &format!("{at}/{i}"), depth + 1);
        out.extend(lift(child, |v| with_item(&padded, i, v)));
    }
    if items.is_empty() {
        if let Some(schema) = rules.item_schema(0) {
            if let Some(first) = solver.first(schema, depth + 1) {
                let child = solver.variants(schema, &first, &format!("{at}/0"), depth + 1);
                out.extend(lift(child, |v| Value::Array(vec![v])));
            }
        }
    }
    out
}

/// An item past the prefix that nothing evaluates: `contains` evaluates every item it
/// matches (even with `minContains: 0`), so the item must be one it does not match.
fn unevaluated_item(solver: &Solver, rules: &Rules) -> Option<Value> {
    let candidates = [
        Value::String("specgate-extra".into()),
        Value::from(0),
        Value::Null,
        Value::Bool(false),
        Value::Object(Map::new()),
        Value::Array(Vec::new()),
    ];
    match &rules.contains {
        None => candidates.into_iter().next(),
        Some(contains) => candidates
            .into_iter()
            .find(|item| !solver.admits(contains, item)),
    }
}

/// `items` padded to `len` by repeating its last item (or `null`).
/// `items` made `len` long when [`build`] cannot: padded with valid item values, distinct
/// ones first (so only the length is wrong), then repeats of a valid one, and `null` only when
/// the items have no valid value at all.
fn longer(
    solver: &Solver,
    rules: &Rules,
    items: &[Value],
    len: usize,
    depth: usize,
) -> Option<Value> {
    let mut out = items.to_vec();
    while out.len() < len {
        let pool = item_values(solver, rules, out.len(), depth).unwrap_or_default();
        let fresh = pool.iter().find(|v| !out.contains(v)).cloned();
        let fill = fresh
            .or_else(|| pool.first().cloned())
            .or_else(|| out.last().cloned())
            .unwrap_or(Value::Null);
        out.push(fill);
    }
    Some(Value::Array(out))
}
