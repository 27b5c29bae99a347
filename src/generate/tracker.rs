//! Coverage counted from the requests themselves, not from how they were built.
//!
//! [`CoverageTracker`] reads the request schema once (enum locations and values, the root's
//! required properties) and then looks only at what it is shown: which enum values occur in
//! `accept` bodies and which sets of required properties are absent from `reject` bodies.
//! `observe` is cheap (a few map lookups per enum), as it runs once per request sent, and
//! once everything has been seen it only counts the request's family.

use super::solve::object::{required_subsets_total, MAX_EXHAUSTIVE_REQUIRED};
use super::solve::outline::{Field, Outline};
use super::Family;
use super::{Body, Coverage, PlannedRequest};
use crate::contract::{Expect, Operation};
use foldhash::HashMap;
use serde_json::Value;
use std::collections::HashSet;

/// The values of one enum and which of them have been seen.
#[derive(Clone)]
struct EnumSlot {
    field: Field,
    values: Vec<Value>,
    /// Position of each string value, so a lookup is a hash, not a scan of (say) 249 codes.
    /// foldhash, not SipHash: `observe` runs once per request sent.
    positions: HashMap<String, usize>,
    seen: Vec<bool>,
}

impl EnumSlot {
    fn position(&self, value: &Value) -> Option<usize> {
        match value {
            Value::String(text) => self.positions.get(text).copied(),
            other => self.values.iter().position(|v| v == other),
        }
    }
}

/// Counts coverage from the requests it is shown: enum values seen in `accept` payloads,
/// subsets of required fields missing from `reject` payloads, requests per reason family.
///
/// With more than 12 required properties only singletons, pairs and the full set are
/// planned, so only those count and the total is their number.
#[derive(Clone)]
pub struct CoverageTracker {
    case: String,
    enums: Vec<EnumSlot>,
    enum_values_covered: u64,
    required: Vec<String>,
    /// Each required name's bit in a subset mask.
    required_bits: HashMap<String, u64>,
    /// All those bits: the mask of a payload missing every required name.
    required_all: u64,
    subsets: HashSet<u64>,
    /// Every enum value and every counted subset seen: nothing a payload shows can change
    /// the figures any more, so `observe` only counts families.
    complete: bool,
    /// Requests per family, in first-seen order; a handful of families, so a scan beats a
    /// tree of string comparisons.
    by_family: Vec<(Family, u64)>,
}

impl CoverageTracker {
    /// A tracker that has seen nothing of `operation` yet.
    pub fn new(operation: &Operation) -> CoverageTracker {
        let root = Outline::of(&operation.request_schema.document).ok();
        let enums = root.as_ref().map(enum_slots).unwrap_or_default();
        let mut required: Vec<String> = root
            .as_ref()
            .map(Outline::required_names)
            .unwrap_or_default();
        if operation.shape.is_some() {
            // Of an envelope's parts only the body can be left out and still be sent.
            required.retain(|name| name == "body");
        }
        let required_bits: HashMap<String, u64> = required
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), 1u64 << (i % 64)))
            .collect();
        let required_all = required_bits.values().fold(0u64, |mask, bit| mask | bit);
        let mut tracker = CoverageTracker {
            case: operation.name.clone(),
            enums,
            enum_values_covered: 0,
            required,
            required_bits,
            required_all,
            subsets: HashSet::new(),
            complete: false,
            by_family: Vec::new(),
        };
        // Nothing to see (no enums, no required properties) is complete from the start.
        tracker.check_complete();
        tracker
    }

    /// Count one planned (or sent) request, and look at its payload; `true` when the payload
    /// showed an enum value or a set of missing required properties not seen before.
    pub fn observe(&mut self, request: &PlannedRequest) -> bool {
        self.count(request);
        self.observe_payload(request)
    }

    /// Count one request's family only: for a run whose coverage is complete elsewhere.
    pub fn count(&mut self, request: &PlannedRequest) {
        self.count_family(request.reason.family, 1);
    }

    /// Look at one request's payload without counting the request; `true` when it showed
    /// something not seen before. A serialised payload is parsed: what counts is what is
    /// sent, however it was built.
    pub fn observe_payload(&mut self, request: &PlannedRequest) -> bool {
        if self.complete || request.expect == Expect::Unauthorized {
            return false;
        }
        let parsed: Value;
        let payload = match &request.body {
            Body::Json(payload) => payload,
            Body::Serialized(bytes) => match serde_json::from_slice(bytes) {
                Ok(value) => {
                    parsed = value;
                    &parsed
                }
                Err(_) => return false,
            },
            Body::Raw(_) | Body::RawWith { .. } => return false,
        };
        let news = match request.expect {
            Expect::Accept => self.observe_enums(payload),
            _ => self.observe_missing(payload),
        };
        if news {
            self.check_complete();
        }
        news
    }

    /// Every enum value and every counted subset of missing required properties seen.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    fn check_complete(&mut self) {
        self.complete = self.enum_values_covered == self.enum_values_total()
            && self.subsets.len() as u64 == required_subsets_total(self.required.len());
    }

    fn enum_values_total(&self) -> u64 {
        self.enums.iter().map(|s| s.values.len() as u64).sum()
    }

    fn count_family(&mut self, family: Family, n: u64) {
        match self.by_family.iter_mut().find(|(f, _)| *f == family) {
            Some((_, count)) => *count += n,
            None => self.by_family.push((family, n)),
        }
    }

    /// Whether `payload` showed an enum value not seen before.
    fn observe_enums(&mut self, payload: &Value) -> bool {
        let before = self.enum_values_covered;
        for slot in &mut self.enums {
            let Some(value) = slot.field.get(payload) else {
                continue;
            };
            if let Some(i) = slot.position(value) {
                if !slot.seen[i] {
                    slot.seen[i] = true;
                    self.enum_values_covered += 1;
                }
            }
        }
        self.enum_values_covered > before
    }

    /// Whether `payload` left out a set of required properties not seen before.
    fn observe_missing(&mut self, payload: &Value) -> bool {
        let Value::Object(map) = payload else {
            return false;
        };
        // One pass over the payload's names (fast hash) rather than a SipHash lookup of
        // each required name in the payload.
        let present = map
            .keys()
            .filter_map(|name| self.required_bits.get(name.as_str()))
            .fold(0u64, |mask, bit| mask | bit);
        let missing = self.required_all & !present;
        let k = self.required.len();
        let counted = match missing.count_ones() as usize {
            0 => false,
            n if k > MAX_EXHAUSTIVE_REQUIRED => n <= 2 || n == k,
            _ => true,
        };
        counted && self.subsets.insert(missing)
    }

    /// Add what another tracker of the same operation saw (a run keeps one per thread).
    pub fn merge(&mut self, other: CoverageTracker) {
        for (mine, theirs) in self.enums.iter_mut().zip(other.enums) {
            for (seen, theirs) in mine.seen.iter_mut().zip(theirs.seen) {
                *seen |= theirs;
            }
        }
        self.enum_values_covered = self
            .enums
            .iter()
            .flat_map(|s| &s.seen)
            .filter(|s| **s)
            .count() as u64;
        self.subsets.extend(other.subsets);
        for (family, n) in other.by_family {
            self.count_family(family, n);
        }
        self.check_complete();
    }

    /// `field=value` for every enum value not seen in an accepted payload.
    fn uncovered_enum_values(&self) -> Vec<String> {
        let mut uncovered = Vec::new();
        for slot in &self.enums {
            for (value, seen) in slot.values.iter().zip(&slot.seen) {
                if !seen {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    uncovered.push(format!("{}={value}", slot.field.label()));
                }
            }
        }
        uncovered
    }

    /// The planned subsets of missing required fields never seen, as `a,b` name lists.
    fn uncovered_required_subsets(&self) -> Vec<String> {
        let k = self.required.len().min(63);
        let planned = |mask: u64| {
            let n = mask.count_ones() as usize;
            k <= MAX_EXHAUSTIVE_REQUIRED || n <= 2 || n == k
        };
        let all = if k <= MAX_EXHAUSTIVE_REQUIRED {
            (1u64 << k) - 1
        } else {
            0
        };
        let masks: Box<dyn Iterator<Item = u64>> = if k <= MAX_EXHAUSTIVE_REQUIRED {
            Box::new(1..=all)
        } else {
            let singles = (0..k).map(|i| 1u64 << i);
            let pairs =
                (0..k).flat_map(move |i| (i + 1..k).map(move |j| (1u64 << i) | (1u64 << j)));
            Box::new(singles.chain(pairs).chain(std::iter::once((1u64 << k) - 1)))
        };
        masks
            .filter(|mask| planned(*mask) && !self.subsets.contains(mask))
            .map(|mask| {
                let names: Vec<&str> = (0..k)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| self.required[i].as_str())
                    .collect();
                names.join(",")
            })
            .collect()
    }

    /// The figures of what was seen.
    pub fn coverage(&self) -> Coverage {
        Coverage {
            uncovered_enum_values: self.uncovered_enum_values(),
            uncovered_required_subsets: self.uncovered_required_subsets(),
            case: self.case.clone(),
            enum_values_covered: self.enum_values_covered,
            enum_values_total: self.enum_values_total(),
            required_subsets_covered: self.subsets.len() as u64,
            required_subsets_total: required_subsets_total(self.required.len()),
            by_family: self
                .by_family
                .iter()
                .map(|(family, n)| (family.as_str().to_owned(), *n))
                .collect(),
            // The tracker sees requests, not draws: the run fills this in from the generator.
            redraws: 0,
            // Probes are sent after the plan: the run counts them.
            probes: Default::default(),
        }
    }
}

/// One slot per enum'd property, with its distinct values.
fn enum_slots(root: &Outline) -> Vec<EnumSlot> {
    root.fields()
        .into_iter()
        .filter_map(|field| {
            let mut values: Vec<Value> = Vec::new();
            for v in field.outline.enum_values.iter().flatten() {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
            let seen = vec![false; values.len()];
            let positions = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|text| (text.to_owned(), i)))
                .collect();
            (!values.is_empty()).then_some(EnumSlot {
                field,
                values,
                positions,
                seen,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::RandomClass;

    /// Once the coverage plan has shown every enum value and every required subset, the
    /// tracker is complete: later requests change only the family counts.
    #[test]
    fn a_complete_tracker_keeps_its_figures_and_counts_families() {
        let (operation, generator) = crate::generate::sessionlink_for_tests();
        let mut tracker = CoverageTracker::new(&operation);
        let coverage = generator.coverage();
        let (last, first) = coverage.split_last().expect("a plan");
        for request in first {
            tracker.observe(request);
        }
        tracker.observe(last);
        assert!(tracker.complete, "the coverage plan covers everything");
        let before = tracker.coverage();
        assert_eq!(before.enum_values_covered, before.enum_values_total);
        for index in 0..50 {
            tracker.observe(&generator.random(1, RandomClass::Invalid, index));
        }
        let after = tracker.coverage();
        assert_eq!(after.by_family["random-invalid"], 50);
        let figures = |c: &Coverage| {
            (
                c.enum_values_covered,
                c.required_subsets_covered,
                c.uncovered_enum_values.clone(),
            )
        };
        assert_eq!(figures(&after), figures(&before));
    }

    /// A payload drawn straight into bytes counts exactly as the same payload as a value:
    /// coverage is read from what is sent.
    #[test]
    fn serialised_payloads_count_like_the_same_payloads_as_values() {
        let (operation, generator) = crate::generate::sessionlink_for_tests();
        let (mut values, mut serialised) = (
            CoverageTracker::new(&operation),
            CoverageTracker::new(&operation),
        );
        let mut news = 0;
        for index in 0..300 {
            let value = generator.random(3, RandomClass::Valid, index);
            let sent = generator.random_to_send(3, RandomClass::Valid, index);
            assert!(matches!(sent.body, Body::Serialized(_)));
            let new = values.observe(&value);
            assert_eq!(new, serialised.observe(&sent), "request {index}");
            news += u64::from(new);
        }
        let (a, b) = (values.coverage(), serialised.coverage());
        assert!(a.enum_values_covered > 10, "{a:?}");
        // Each request that was news showed at least one value not seen before.
        assert!((1..=a.enum_values_covered).contains(&news), "{news} news");
        assert_eq!(a, b);
    }
}
