//! Grouping violations into findings: same check, same case, same cause. The representative
//! of a group is its first member in plan order, so reports do not depend on which worker
//! happened to be faster. A representative is rendered (request record, curl line) once,
//! when it becomes one; the other members only bump a count.

use super::client::{Endpoint, Outgoing};
use super::secret::ApiKey;
use crate::check::{
    Check, Finding, ObservedResponse, Outcome, ResponseRecord, Violation, RESPONSE_EXCERPT_BYTES,
};
use crate::generate::{Family, Origin, PlannedRequest};
use crate::results::curl_command;
use std::collections::HashMap;
use std::fmt;

/// Plan ids kept per group, besides the count.
pub(super) const EXAMPLES_PER_GROUP: usize = 5;

/// Distinct groups a worker thread keeps. Causes can quote the server (a media type, a
/// pointer), so a hostile one could make every response a group of its own; beyond this,
/// new causes are counted in one group per check and case, and memory stays bounded.
const MAX_GROUPS: usize = 1_000;

/// The cause of the group that counts what came after [`MAX_GROUPS`].
const OTHER_CAUSES: &str = "(other causes, beyond the distinct findings kept)";

/// Response headers a finding keeps, and how many bytes of each name and value.
const HEADERS_KEPT: usize = 32;
const HEADER_BYTES_KEPT: usize = 512;

/// What a violation is grouped and rendered with.
pub(super) struct Context<'a> {
    pub endpoint: &'a Endpoint,
    pub key: Option<&'a ApiKey>,
    pub position: u64,
    pub planned: &'a PlannedRequest,
    pub outgoing: &'a Outgoing,
    pub outcome: &'a Outcome,
}

/// A group under construction.
#[derive(Clone)]
pub(super) struct Group {
    pub position: u64,
    pub origin: Origin,
    pub finding: Finding,
    examples: Vec<(u64, String)>,
    /// The representative's request as planned and as encoded, to send it again (flaky
    /// confirmation).
    sent: (PlannedRequest, Outgoing),
}

/// A finished group: its finding, with what is needed to send its representative again.
pub(super) struct Representative {
    pub(super) finding: Finding,
    pub(super) origin: Origin,
    pub(super) planned: PlannedRequest,
    pub(super) outgoing: Outgoing,
}

#[derive(Default, Clone)]
pub(super) struct Groups {
    groups: HashMap<(Check, String, GroupCause), Group>,
}

/// What a group's members share beyond check and case. Its text is the finding's cause,
/// which every fingerprint holds, so the text a variant prints never changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum GroupCause {
    /// The response alone decides the violation: its own cause (`/statusDetail enum`).
    Response(String),
    /// Status verdicts depend on the kind of request, so the reason family is part of the
    /// cause: `400 for enum-value`.
    Status { cause: String, family: Family },
    /// Every cause that came after [`MAX_GROUPS`] distinct groups.
    Other,
}

impl GroupCause {
    /// The cause `violation` of `planned` is grouped by. A cause can quote the server (a
    /// media type, a pointer), so it is scrubbed of the key like every text.
    pub(super) fn of(
        violation: &Violation,
        planned: &PlannedRequest,
        key: Option<&ApiKey>,
    ) -> GroupCause {
        let cause = violation.cause.to_string();
        let cause = key.map_or_else(|| cause.clone(), |k| k.scrub(&cause));
        match violation.check {
            Check::ServerError
            | Check::RejectsValid
            | Check::AcceptsInvalid
            | Check::AuthNotEnforced
            | Check::StatusUndocumented
            | Check::Transport => GroupCause::Status {
                cause,
                family: planned.reason.family,
            },
            _ => GroupCause::Response(cause),
        }
    }

    /// Whether a finding whose cause reads `shown` is of this cause: the overflow group takes
    /// every cause.
    pub(super) fn is_shown_as(&self, shown: &str) -> bool {
        shown == OTHER_CAUSES || self.to_string() == shown
    }
}

impl fmt::Display for GroupCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupCause::Response(cause) => f.write_str(cause),
            GroupCause::Status { cause, family } => write!(f, "{cause} for {family}"),
            GroupCause::Other => f.write_str(OTHER_CAUSES),
        }
    }
}

impl Groups {
    pub(super) fn add(&mut self, context: &Context<'_>, violation: Violation) {
        let mut key = (
            violation.check,
            context.planned.case.to_string(),
            GroupCause::of(&violation, context.planned, context.key),
        );
        if self.groups.len() >= MAX_GROUPS && !self.groups.contains_key(&key) {
            key.2 = GroupCause::Other;
        }
        let cause = key.2.to_string();
        let id = || context.planned.id.clone();
        match self.groups.get_mut(&key) {
            // Exchanges finish out of plan order: an earlier member takes over as the
            // representative, keeping the count and the examples.
            Some(group) if context.position < group.position => {
                let finding = render(context, violation.check, &violation.message, cause);
                let count = group.finding.count + 1;
                group.finding = Finding { count, ..finding };
                group.position = context.position;
                group.origin = context.planned.origin;
                group.sent = (context.planned.clone(), context.outgoing.clone());
                push_example(&mut group.examples, context.position, id());
            }
            Some(group) => {
                group.finding.count += 1;
                push_example(&mut group.examples, context.position, id());
            }
            None => {
                let finding = render(context, violation.check, &violation.message, cause);
                let group = Group {
                    position: context.position,
                    origin: context.planned.origin,
                    finding,
                    examples: vec![(context.position, id())],
                    sent: (context.planned.clone(), context.outgoing.clone()),
                };
                self.groups.insert(key, group);
            }
        }
    }

    pub(super) fn merge(&mut self, other: Groups) {
        for (key, theirs) in other.groups {
            match self.groups.remove(&key) {
                None => {
                    self.groups.insert(key, theirs);
                }
                Some(mine) => {
                    let merged = combine(mine, theirs);
                    self.groups.insert(key, merged);
                }
            }
        }
    }

    /// These groups without those of the cases `drop` names.
    pub(super) fn without_cases(mut self, drop: impl Fn(&str) -> bool) -> Groups {
        self.groups.retain(|(_, case, _), _| !drop(case));
        self
    }

    /// The findings in a stable order, with each group's origin (for shrinking).
    #[cfg(test)]
    pub(super) fn into_findings(self) -> Vec<(Finding, Origin)> {
        self.into_representatives()
            .into_iter()
            .map(|r| (r.finding, r.origin))
            .collect()
    }

    /// The findings in a stable order, each with its representative's request.
    pub(super) fn into_representatives(self) -> Vec<Representative> {
        let mut groups: Vec<Group> = self.groups.into_values().collect();
        // One body can break its schema in several places: the cause orders those ties.
        groups.sort_by(|a, b| {
            let order = |g: &Group| {
                let f = &g.finding;
                (f.check, f.case.clone(), g.position, f.cause.clone())
            };
            order(a).cmp(&order(b))
        });
        groups
            .into_iter()
            .map(|mut g| {
                g.finding.plan_position = g.position;
                g.finding.example_positions = g.examples.iter().map(|(p, _)| *p).collect();
                g.finding.examples = g.examples.into_iter().map(|(_, id)| id).collect();
                let (planned, outgoing) = g.sent;
                Representative {
                    finding: g.finding,
                    origin: g.origin,
                    planned,
                    outgoing,
                }
            })
            .collect()
    }
}

fn combine(a: Group, b: Group) -> Group {
    let (mut first, second) = if a.position <= b.position {
        (a, b)
    } else {
        (b, a)
    };
    first.finding.count += second.finding.count;
    for (position, id) in second.examples {
        push_example(&mut first.examples, position, id);
    }
    first
}

/// Keep the `EXAMPLES_PER_GROUP` earliest plan ids.
pub(super) fn push_example(examples: &mut Vec<(u64, String)>, position: u64, id: String) {
    if examples.len() == EXAMPLES_PER_GROUP && examples.last().is_some_and(|(p, _)| *p < position) {
        return;
    }
    let at = examples.partition_point(|(p, _)| *p < position);
    examples.insert(at, (position, id));
    examples.truncate(EXAMPLES_PER_GROUP);
}

/// A finding of `check` for one exchange, every text scrubbed of the key; `cause` is the
/// group's (scrubbed already), as its fingerprint shows it.
pub(super) fn render(context: &Context<'_>, check: Check, message: &str, cause: String) -> Finding {
    let scrub = |text: &str| {
        context
            .key
            .map_or_else(|| text.to_owned(), |k| k.scrub(text))
    };
    let mut request = context.endpoint.record(context.planned, context.outgoing);
    request.body = scrub(&request.body);
    let response = match context.outcome {
        Outcome::Response(observed) => Some(response_record(observed, context.key)),
        Outcome::Transport(_) => None,
    };
    Finding {
        check,
        case: context.planned.case.to_string(),
        plan_id: context.planned.id.clone(),
        plan_position: context.position,
        reason: context.planned.reason.to_string(),
        expect: context.planned.expect,
        cause,
        message: scrub(message),
        curl: curl_command(&request),
        request,
        response,
        count: 1,
        examples: Vec::new(),
        example_positions: Vec::new(),
        shrunk: None,
        severity: None,
        diff: None,
        operations: Vec::new(),
    }
}

/// The response as a finding keeps it: the body scrubbed before it is cut (so no key
/// straddles the cut), and at most [`HEADERS_KEPT`] headers, each name and value scrubbed,
/// then cut to [`HEADER_BYTES_KEPT`].
fn response_record(observed: &ObservedResponse, key: Option<&ApiKey>) -> ResponseRecord {
    let mut record = observed.record();
    let cut = |text: &str, limit: usize| match key {
        Some(key) => key.scrub_excerpt(text, limit),
        None => crate::results::excerpt(text, limit),
    };
    if let Some(key) = key {
        let text = String::from_utf8_lossy(&observed.body);
        (record.body, record.body_truncated) = key.scrub_excerpt(&text, RESPONSE_EXCERPT_BYTES);
    }
    let dropped = record.headers.len().saturating_sub(HEADERS_KEPT);
    record.headers.truncate(HEADERS_KEPT);
    for (name, value) in &mut record.headers {
        for text in [name, value] {
            let (kept, truncated) = cut(text, HEADER_BYTES_KEPT);
            *text = if truncated {
                format!("{kept}…")
            } else {
                kept
            };
        }
    }
    if dropped > 0 {
        let note = format!("{dropped} more headers not kept");
        record.headers.push(("…".to_owned(), note));
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finding keeps a bounded part of the headers, however many and however long.
    #[test]
    fn a_response_record_keeps_a_bounded_part_of_the_headers() {
        let mut headers = http::HeaderMap::new();
        for n in 0..90 {
            let name = http::HeaderName::try_from(format!("x-h-{n}")).expect("name");
            let value = http::HeaderValue::try_from("v".repeat(4096)).expect("value");
            headers.insert(name, value);
        }
        let observed = ObservedResponse {
            status: 200,
            headers,
            body: bytes::Bytes::new(),
            elapsed_ms: 1,
        };
        let key = ApiKey::new("K", "s3cr3t-value");
        for key in [None, Some(&key)] {
            let record = response_record(&observed, key);
            assert_eq!(record.headers.len(), HEADERS_KEPT + 1);
            assert!(record.headers[..HEADERS_KEPT]
                .iter()
                .all(|(_, v)| v.len() <= HEADER_BYTES_KEPT + '…'.len_utf8()));
            assert_eq!(record.headers[HEADERS_KEPT].1, "58 more headers not kept");
        }
    }

    /// Exchanges finish in any order; the representative must still be the earliest in plan
    /// order, with every member counted.
    #[test]
    fn the_representative_is_the_earliest_member_whatever_the_order_of_arrival() {
        let (operation, generator) = crate::generate::sessionlink_for_tests();
        let url = url::Url::parse("http://127.0.0.1:1/v1/auth/sessionlink-v2").expect("url");
        let endpoint = Endpoint::new(&operation, url, None);
        // One reason family, so that every member has the same cause.
        let coverage = generator.coverage();
        let planned: Vec<PlannedRequest> = coverage
            .into_iter()
            .filter(|planned| planned.reason.family == crate::generate::Family::EnumValue)
            .take(8)
            .collect();
        assert_eq!(
            planned.len(),
            8,
            "the contract has eight enum values or more"
        );
        let outcome = Outcome::Response(ObservedResponse {
            status: 500,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::new(),
            elapsed_ms: 1,
        });
        let arrivals = [[5, 2, 7, 0, 3, 1, 6, 4], [0, 1, 2, 3, 4, 5, 6, 7]];
        let findings: Vec<Finding> = arrivals
            .iter()
            .map(|order| {
                let mut groups = Groups::default();
                for &position in order {
                    let outgoing =
                        Outgoing::bare(bytes::Bytes::from(planned[position].body.to_bytes()));
                    let context = Context {
                        endpoint: &endpoint,
                        key: None,
                        position: position as u64,
                        planned: &planned[position],
                        outgoing: &outgoing,
                        outcome: &outcome,
                    };
                    let violation = Violation {
                        check: Check::ServerError,
                        cause: crate::check::Cause::Status(500),
                        message: "a 500".to_owned(),
                    };
                    groups.add(&context, violation);
                }
                let mut findings = groups.into_findings();
                assert_eq!(findings.len(), 1, "one cause, one group");
                findings.remove(0).0
            })
            .collect();
        let (shuffled, ordered) = (&findings[0], &findings[1]);
        assert_eq!(ordered.plan_id, planned[0].id);
        assert_eq!(shuffled.plan_id, ordered.plan_id);
        assert_eq!(shuffled.request.body, ordered.request.body);
        assert_eq!((shuffled.count, ordered.count), (8, 8));
        assert_eq!(shuffled.example_positions, vec![0, 1, 2, 3, 4]);
    }
}
