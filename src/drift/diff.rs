//! The graded diff between a stored and a freshly observed contract: what appeared, what
//! disappeared, what changed, each change graded `breaking`, `warning` or `info`.

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

/// Every difference from `old` (the baseline) to `new`, in a stable order.
pub fn diff(old: &ObservedContract, new: &ObservedContract) -> Vec<Change> {
    let mut changes = Vec::new();
    for (class, old_statuses) in &old.classes {
        match new.classes.get(class) {
            None => changes.push(change(
                Severity::Info,
                '-',
                class,
                "request class no longer observed (the plan changed?)",
            )),
            Some(new_statuses) => diff_class(class, old_statuses, new_statuses, &mut changes),
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

fn diff_class(
    class: &str,
    old: &BTreeMap<String, ObservedStatus>,
    new: &BTreeMap<String, ObservedStatus>,
    changes: &mut Vec<Change>,
) {
    for status in old.keys().filter(|s| !new.contains_key(*s)) {
        changes.push(change(
            Severity::Breaking,
            '-',
            class,
            format!("status {status} no longer returned"),
        ));
    }
    for status in new.keys().filter(|s| !old.contains_key(*s)) {
        changes.push(change(
            Severity::Breaking,
            '+',
            class,
            format!("status {status} returned now"),
        ));
    }
    for (status, old_status) in old {
        if let Some(new_status) = new.get(status) {
            diff_status(
                &format!("{class} {status}"),
                old_status,
                new_status,
                changes,
            );
        }
    }
}

fn diff_status(place: &str, old: &ObservedStatus, new: &ObservedStatus, changes: &mut Vec<Change>) {
    if old.content_types != new.content_types {
        let what = format!(
            "content type {} -> {}",
            join(&old.content_types),
            join(&new.content_types)
        );
        changes.push(change(Severity::Breaking, '~', place, what));
    }
    for (pointer, old_field) in &old.fields {
        let at = format!("{place} {pointer}");
        match new.fields.get(pointer) {
            None if old_field.always => changes.push(change(
                Severity::Breaking,
                '-',
                &at,
                "field was always present, now missing",
            )),
            None => changes.push(change(
                Severity::Warning,
                '-',
                &at,
                "optional field no longer seen",
            )),
            Some(new_field) => diff_field(&at, old_field, new_field, changes),
        }
    }
    for (pointer, field) in new
        .fields
        .iter()
        .filter(|(p, _)| !old.fields.contains_key(*p))
    {
        let what = format!("new field ({})", join(&field.types));
        changes.push(change(
            Severity::Info,
            '+',
            &format!("{place} {pointer}"),
            what,
        ));
    }
}

fn diff_field(at: &str, old: &ObservedField, new: &ObservedField, changes: &mut Vec<Change>) {
    if old.always && !new.always {
        changes.push(change(
            Severity::Breaking,
            '~',
            at,
            "was always present, now only sometimes",
        ));
    }
    if old.types != new.types {
        let what = format!("type {} -> {}", join(&old.types), join(&new.types));
        changes.push(change(Severity::Breaking, '~', at, what));
    }
    match (&old.values, &new.values) {
        (Some(before), Some(after)) => {
            for gone in before.difference(after) {
                changes.push(change(
                    Severity::Breaking,
                    '-',
                    at,
                    format!("value {gone:?} no longer seen"),
                ));
            }
            for added in after.difference(before) {
                changes.push(change(
                    Severity::Warning,
                    '+',
                    at,
                    format!("new value {added:?}"),
                ));
            }
        }
        (Some(_), None) if new.untracked.as_deref() == Some("many") => {
            changes.push(change(
                Severity::Warning,
                '~',
                at,
                "now takes many distinct values",
            ));
        }
        _ => {}
    }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join("|")
}
