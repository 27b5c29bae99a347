//! [`Finding`]: a grouped, renderable contract violation, as every report reads it, with the
//! [`SentRequest`] and [`ResponseRecord`] it carries.

use super::{Check, Severity};
use crate::contract::Expect;
use serde::{Deserialize, Serialize};

/// The exact request that went on the wire, with the key already redacted from its headers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SentRequest {
    /// The HTTP method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// `(name, value)`; the key's value is replaced by a placeholder such as `${SPECGATE_API_KEY}`.
    pub headers: Vec<(String, String)>,
    /// The body as sent (lossy UTF-8).
    pub body: String,
}

/// How much of a response body a finding keeps.
pub const RESPONSE_EXCERPT_BYTES: usize = 2048;

/// The response part of a finding: status, headers and a body excerpt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// The status code.
    pub status: u16,
    /// `(name, value)` in order, secrets scrubbed.
    pub headers: Vec<(String, String)>,
    /// The body excerpt, secrets scrubbed.
    pub body: String,
    /// The body was longer than the excerpt.
    pub body_truncated: bool,
    /// Time from sending to the whole body read.
    pub elapsed_ms: u64,
}

/// At most `limit` bytes of `text`, cut on a character boundary.
pub fn excerpt(text: &str, limit: usize) -> (String, bool) {
    if text.len() <= limit {
        return (text.to_owned(), false);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_owned(), true)
}

/// How a random payload was shrunk before it was reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shrunk {
    /// The plan id of the random request that failed first.
    pub from_plan_id: String,
    /// Requests spent shrinking.
    pub attempts: u32,
    /// The minimal payload was re-sent and failed the same way again.
    pub confirmed: bool,
    /// The body before shrinking.
    pub original_body: String,
}

/// One group of identical violations (same check, same case, same cause), represented by
/// its first member in plan order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The check that found it.
    pub check: Check,
    /// The case (operation) it belongs to.
    pub case: String,
    /// The plan id of the representative request.
    pub plan_id: String,
    /// The representative's position in the whole plan (shards keep global positions, so
    /// merged shard reports group exactly as one unsharded run).
    pub plan_position: u64,
    /// The representative's plan reason, e.g. `missing-required: city`.
    pub reason: String,
    /// What the contract says the server must do with the request.
    pub expect: Expect,
    /// What makes these findings "the same", e.g. `400` or `/statusDetail enum`.
    pub cause: String,
    /// A sentence for a person.
    pub message: String,
    /// The representative request, as sent.
    pub request: SentRequest,
    /// What came back; `None` for transport failures and drift.
    pub response: Option<ResponseRecord>,
    /// A copy-pasteable command that sends the exact request, key from the environment.
    pub curl: String,
    /// How many requests failed this way.
    pub count: u64,
    /// The first few plan ids of the group, in plan order.
    pub examples: Vec<String>,
    /// The plan positions of `examples`.
    pub example_positions: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How a random payload was shrunk, when it was.
    pub shrunk: Option<Shrunk>,
    /// For `drift`: how bad the change is (`breaking`, `warning`, `info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// For `drift`: the readable diff of the observed contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// For a cause several operations share (case `*`): the finding of each operation it
    /// covers, with its own representative request and count, in case order (see
    /// [`super::fold`]); empty for a finding of one operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Finding>,
}

impl Finding {
    /// An operation that was not tested: `what` the case format cannot express, at `place`
    /// (a document's file and JSON pointer). The cause is the JSON pointer alone, so a
    /// known-failures entry names the part of the operation, stable against rewording and
    /// against where the document lies on a disk.
    pub fn untested(case: &str, place: &str, pointer: &str, what: &str) -> Finding {
        Finding {
            check: Check::Untested,
            case: case.to_owned(),
            plan_id: String::new(),
            plan_position: 0,
            reason: "untested".to_owned(),
            expect: Expect::Accept,
            cause: format!("#{pointer}"),
            message: format!("not tested: {what} (at {place})"),
            request: SentRequest::default(),
            response: None,
            curl: String::new(),
            count: 1,
            examples: Vec::new(),
            example_positions: Vec::new(),
            shrunk: None,
            severity: None,
            diff: None,
            operations: Vec::new(),
        }
    }

    /// The key that decides which findings are grouped.
    pub fn group_key(&self) -> (Check, &str, &str) {
        (self.check, &self.case, &self.cause)
    }
}
