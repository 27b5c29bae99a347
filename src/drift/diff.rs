//! The graded diff between a stored and a freshly observed contract: what appeared, what
//! disappeared, what changed, each change graded `breaking`, `warning`, `info` or `fixed`.
//!
//! `fixed` is a change toward the contract, which never fails a run: a status the request
//! class should never get (a 5xx or a 4xx for `valid`, a 2xx or a 5xx for `invalid/*` and
//! `auth`) that disappears, a status the class should get that appears in place of such a
//! one, and any change at an observation the baseline marked non-conformant (a field that
//! broke its schema, a content type that was wrong) that takes the broken form away.

use super::observe::{ObservedContract, ObservedField, ObservedStatus};
use super::Severity;
use std::collections::{BTreeMap, BTreeSet};

/// One graded difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// How bad the change is.
    pub severity: Severity,
    /// `+` appeared, `-` disappeared, `~` changed.
    pub sign: char,
    /// Where: `valid 200 /status`.
    pub place: String,
    /// The change, for a person, e.g. `valid 200 /status: new value "X"`.
    pub what: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {} [{}]",
            self.sign, self.place, self.what, self.severity
        )
    }
}

/// Observations the baseline recorded as breaking the contract (see
/// [`super::snapshot::nonconformant_places`]): `CLASS STATUS` for a wrong status,
/// `CLASS STATUS content-type`, `CLASS STATUS POINTER` for a field that broke its schema.
pub type Marks = BTreeSet<String>;

/// Every difference from `old` (the baseline, with its non-conformant `marks`) to `new`, in
/// a stable order.
pub fn diff(old: &ObservedContract, marks: &Marks, new: &ObservedContract) -> Vec<Change> {
    let mut changes = Vec::new();
    for (class, old_statuses) in &old.classes {
        match new.classes.get(class) {
            None => changes.push(change(
                Severity::Info,
                '-',
                class,
                "request class no longer observed (the plan changed?)",
            )),
            Some(new_statuses) => {
                let class_diff = ClassDiff { class, marks };
                class_diff.statuses(old_statuses, new_statuses, &mut changes)
            }
        }
    }
    for class in new.classes.keys().filter(|c| !old.classes.contains_key(*c)) {
        changes.push(change(
            Severity::Info,
            '+',
            class,
            "request class observed for the first time",
        ));
    }
    changes
}

fn change(severity: Severity, sign: char, place: &str, what: impl Into<String>) -> Change {
    Change {
        severity,
        sign,
        place: place.to_owned(),
        what: what.into(),
    }
}

/// What the contract says a request class should get, by its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Conformant,
    Nonconformant,
}

/// `valid` wants a 2xx, `invalid/*` and `auth` a 4xx; a 5xx is never right.
fn verdict(class: &str, status: &str) -> Verdict {
    let code: u16 = status.parse().unwrap_or(0);
    let right = match class {
        "valid" => (200..300).contains(&code),
        _ => (400..500).contains(&code),
    };
    if right {
        Verdict::Conformant
    } else {
        Verdict::Nonconformant
    }
}

/// Diffing one request class, with the baseline's marks.
struct ClassDiff<'a> {
    class: &'a str,
    marks: &'a Marks,
}

impl ClassDiff<'_> {
    fn nonconformant(&self, status: &str) -> bool {
        verdict(self.class, status) == Verdict::Nonconformant
            || self.marks.contains(&format!("{} {status}", self.class))
    }

    fn statuses(
        &self,
        old: &BTreeMap<String, ObservedStatus>,
        new: &BTreeMap<String, ObservedStatus>,
        changes: &mut Vec<Change>,
    ) {
        let class = self.class;
        // The class got a wrong status before: a right one appearing is a step toward the
        // contract, and so is what the requests bring that land there now.
        let was_broken = old.keys().any(|s| self.nonconformant(s));
        let fixed_away = old
            .keys()
            .any(|s| !new.contains_key(s) && self.nonconformant(s));
        for status in old.keys().filter(|s| !new.contains_key(*s)) {
            let severity = if self.nonconformant(status) {
                Severity::Fixed
            } else {
                Severity::Breaking
            };
            let what = format!("status {status} no longer returned");
            changes.push(change(severity, '-', class, what));
        }
        for status in new.keys().filter(|s| !old.contains_key(*s)) {
            let toward = was_broken && verdict(class, status) == Verdict::Conformant;
            let severity = if toward {
                Severity::Fixed
            } else {
                Severity::Breaking
            };
            let what = format!("status {status} returned now");
            changes.push(change(severity, '+', class, what));
        }
        for (status, old_status) in old {
            if let Some(new_status) = new.get(status) {
                let place = format!("{class} {status}");
                let widened = fixed_away && verdict(class, status) == Verdict::Conformant;
                let status_diff = StatusDiff {
                    place: &place,
                    marks: self.marks,
                    widened,
                };
                status_diff.diff(old_status, new_status, changes);
            }
        }
    }
}

/// Diffing what came back with one status of one class.
struct StatusDiff<'a> {
    place: &'a str,
    marks: &'a Marks,
    /// A wrong status of the class went away, so requests that got it may land on this right
    /// one now: what changes with them (values, presence) is only noted.
    widened: bool,
}

impl StatusDiff<'_> {
    /// `Fixed` when `at` was marked non-conformant, else `otherwise`.
    fn unless_marked(&self, at: &str, otherwise: Severity) -> Severity {
        if self.marks.contains(at) {
            Severity::Fixed
        } else {
            otherwise
        }
    }

    /// A change that follows from more requests landing on this status (a new value or
    /// field, a value or an always-present field that the newcomers do not carry): softened
    /// to `Info` when a fix widened the status. Type changes keep their grade.
    fn addition(&self, severity: Severity) -> Severity {
        if self.widened {
            severity.min(Severity::Info)
        } else {
            severity
        }
    }

    fn diff(&self, old: &ObservedStatus, new: &ObservedStatus, changes: &mut Vec<Change>) {
        let place = self.place;
        if new.truncated {
            let what = format!(
                "more than {} distinct fields (or too many media types): only the first are \
                 tracked (ever-new field names?)",
                super::observe::MAX_POINTERS
            );
            changes.push(change(Severity::Warning, '~', place, what));
        }
        if old.content_types != new.content_types {
            let what = format!(
                "content type {} -> {}",
                join(&old.content_types),
                join(&new.content_types)
            );
            let at = format!("{place} content-type");
            changes.push(change(
                self.unless_marked(&at, Severity::Breaking),
                '~',
                place,
                what,
            ));
        }
        for (pointer, old_field) in &old.fields {
            let at = format!("{place} {pointer}");
            match new.fields.get(pointer) {
                None if old_field.always => changes.push(change(
                    self.unless_marked(&at, Severity::Breaking),
                    '-',
                    &at,
                    "field was always present, now missing",
                )),
                None => changes.push(change(
                    self.unless_marked(&at, Severity::Warning),
                    '-',
                    &at,
                    "optional field no longer seen",
                )),
                Some(new_field) => self.field(&at, old_field, new_field, changes),
            }
        }
        for (pointer, field) in new
            .fields
            .iter()
            .filter(|(p, _)| !old.fields.contains_key(*p))
        {
            let what = format!("new field ({})", join(&field.types));
            let at = format!("{place} {pointer}");
            changes.push(change(self.addition(Severity::Info), '+', &at, what));
        }
    }

    fn field(&self, at: &str, old: &ObservedField, new: &ObservedField, changes: &mut Vec<Change>) {
        if old.always && !new.always {
            changes.push(change(
                self.unless_marked(at, self.addition(Severity::Breaking)),
                '~',
                at,
                "was always present, now only sometimes",
            ));
        }
        if old.types != new.types {
            let what = format!("type {} -> {}", join(&old.types), join(&new.types));
            changes.push(change(
                self.unless_marked(at, Severity::Breaking),
                '~',
                at,
                what,
            ));
        }
        match (&old.values, &new.values) {
            (Some(before), Some(after)) => {
                for gone in before.difference(after) {
                    changes.push(change(
                        self.unless_marked(at, self.addition(Severity::Breaking)),
                        '-',
                        at,
                        format!("value {gone:?} no longer seen"),
                    ));
                }
                for added in after.difference(before) {
                    changes.push(change(
                        self.addition(Severity::Warning),
                        '+',
                        at,
                        format!("new value {added:?}"),
                    ));
                }
            }
            (Some(_), None) if new.untracked.as_deref() == Some("many") => {
                changes.push(change(
                    self.addition(Severity::Warning),
                    '~',
                    at,
                    "now takes many distinct values",
                ));
            }
            _ => {}
        }
    }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(class: &str, statuses: &[&str]) -> ObservedContract {
        let mut observed = ObservedContract {
            case: "demo".into(),
            ..Default::default()
        };
        let statuses = statuses
            .iter()
            .map(|s| ((*s).to_owned(), ObservedStatus::default()))
            .collect();
        observed.classes.insert(class.to_owned(), statuses);
        observed
    }

    fn severities(changes: &[Change]) -> Vec<(char, Severity)> {
        changes.iter().map(|c| (c.sign, c.severity)).collect()
    }

    #[test]
    fn a_valid_class_that_stops_answering_500_is_fixed() {
        let changes = diff(
            &contract("valid", &["200", "500"]),
            &Marks::new(),
            &contract("valid", &["200"]),
        );
        assert_eq!(severities(&changes), [('-', Severity::Fixed)]);
    }

    #[test]
    fn an_invalid_class_that_starts_answering_400_instead_of_200_is_fixed() {
        let changes = diff(
            &contract("invalid/wrong-type", &["200"]),
            &Marks::new(),
            &contract("invalid/wrong-type", &["400"]),
        );
        assert_eq!(
            severities(&changes),
            [('-', Severity::Fixed), ('+', Severity::Fixed)]
        );
    }

    #[test]
    fn moving_away_from_the_contract_is_still_breaking() {
        let changes = diff(
            &contract("invalid/wrong-type", &["400"]),
            &Marks::new(),
            &contract("invalid/wrong-type", &["200"]),
        );
        assert_eq!(
            severities(&changes),
            [('-', Severity::Breaking), ('+', Severity::Breaking)]
        );
        let changes = diff(
            &contract("valid", &["200"]),
            &Marks::new(),
            &contract("valid", &["201"]),
        );
        assert_eq!(
            severities(&changes),
            [('-', Severity::Breaking), ('+', Severity::Breaking)]
        );
    }

    #[test]
    fn a_marked_field_that_changes_type_is_fixed_and_an_unmarked_one_breaks() {
        let mut old = contract("valid", &["200"]);
        let mut new = old.clone();
        let field = |ty: &str| ObservedField {
            types: BTreeSet::from([ty.to_owned()]),
            always: true,
            ..Default::default()
        };
        for (observed, ty) in [(&mut old, "integer"), (&mut new, "string")] {
            let status = observed
                .classes
                .get_mut("valid")
                .unwrap()
                .get_mut("200")
                .unwrap();
            status.fields.insert("/a".into(), field(ty));
            status.fields.insert("/b".into(), field(ty));
        }
        let marks = Marks::from(["valid 200 /a".to_owned()]);
        let changes = diff(&old, &marks, &new);
        let graded: Vec<(&str, Severity)> = changes
            .iter()
            .map(|c| (c.place.as_str(), c.severity))
            .collect();
        assert_eq!(
            graded,
            [
                ("valid 200 /a", Severity::Fixed),
                ("valid 200 /b", Severity::Breaking)
            ]
        );
    }

    #[test]
    fn a_truncated_observation_is_warning_drift() {
        let old = contract("valid", &["200"]);
        let mut new = old.clone();
        assert!(diff(&old, &Marks::new(), &new).is_empty());
        for status in new.classes.values_mut().flat_map(|s| s.values_mut()) {
            status.truncated = true;
        }
        let changes = diff(&old, &Marks::new(), &new);
        assert_eq!(severities(&changes), [('~', Severity::Warning)]);
        assert!(
            changes[0].what.contains("distinct fields"),
            "{}",
            changes[0]
        );
    }
}
