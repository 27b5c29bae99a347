//! Lifecycle sequences: for each resource a consuming operation (a DELETE) takes from its
//! producer, one fixed sequence of the operations' first valid requests, each naming the
//! resource just made: create → get → delete → get → delete (the gets where a GET is
//! served at the DELETE's path). A made resource must be retrievable
//! (`resource-unavailable`), and a deleted one gone: the second get and delete must answer
//! 404 or 410, or where an operation documents neither, a client error it lists
//! (`use-after-free`, see [`says_not_there`]). The steps depend on nothing random, so a sequence is the
//! same on every run; the ids are the server's own. A finding lists every step with its
//! curl line, the key scrubbed.

use super::groups::{render, Context};
use super::lifecycle::LinkedParameter;
use super::links::{fits, made_id, send_valid, Sent, Target};
use super::shared::Shared;
use crate::check::{says_not_there, Cause, Check, Finding, Outcome, Violation};
use crate::generate::Family;
use crate::results::curl_command;
use serde_json::Value;

/// Where sequence findings sort in the plan: after every plan entry.
const SEQUENCE_POSITION: u64 = u64::MAX / 2;

/// The reason family of a sequence finding (`--families lifecycle` runs only these).
pub(super) const FAMILY: Family = Family::Lifecycle;

/// One step of a sequence: which operation, and what was sent and came back.
struct Step {
    operation: usize,
    sent: Sent,
}

impl Step {
    fn status(&self) -> Option<u16> {
        match &self.sent.outcome {
            Outcome::Response(response) => Some(response.status),
            Outcome::Transport(_) => None,
        }
    }
}

/// The findings of every lifecycle sequence of the run's consuming links.
pub(super) async fn lifecycle_findings(shared: &Shared) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (number, link) in shared.lifecycle.links.iter().enumerate() {
        if link.consumes {
            let position = SEQUENCE_POSITION + number as u64;
            findings.extend(sequence(shared, link, position).await);
        }
    }
    findings
}

/// Create, get, delete, get, delete one resource; the findings its answers give.
async fn sequence(shared: &Shared, link: &LinkedParameter, position: u64) -> Vec<Finding> {
    let operations = &shared.operations;
    let Some(producer) = operations.iter().position(|o| o.name == link.producer) else {
        return Vec::new();
    };
    let consumer = link.operation;
    let getter = operations.iter().position(|o| {
        o.method == http::Method::GET
            && o.path == operations[consumer].path
            && o.shape
                .iter()
                .flat_map(|s| s.parameters())
                .any(|p| p.pointer() == link.pointer)
    });
    let permit = || shared.permit();
    let target = Target {
        client: &shared.client,
        options: &shared.config.settings.client,
        base_url: &shared.config.base_url,
        key: shared.config.key.as_ref(),
        permit: &permit,
        tokens: &shared.tokens,
        fresh: &shared.fresh,
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut findings = Vec::new();
    let send = |index: usize, id: Option<Value>| {
        let target = &target;
        async move {
            let with = id.as_ref().map(|id| (link.pointer.as_str(), id));
            let sent = send_valid(&operations[index], &shared.generators[index], target, with);
            sent.await.ok().map(|sent| Step {
                operation: index,
                sent,
            })
        }
    };
    let Some(create) = send(producer, None).await else {
        return findings;
    };
    let consumer_at = (operations[consumer].path.as_str(), link.name.as_str());
    let made = made_id(&create.sent, &link.producer_pointer, consumer_at);
    steps.push(create);
    let Ok(made) = made else {
        return findings;
    };
    let id = as_sent(shared, consumer, &link.pointer, &made);
    if !fits_operation(shared, consumer, &link.pointer, &id) {
        // The server made an id its own document forbids the consumer to name: a request
        // naming it is not valid, so no answer to it can be judged as a lifecycle step.
        return findings;
    }
    // Petstore's GET of an order takes ids up to 10 where its DELETE takes any: the get
    // steps are left out when the made id is not one the getter may be asked for.
    let getter = getter.filter(|&getter| fits_operation(shared, getter, &link.pointer, &id));
    if let Some(getter) = getter {
        let Some(get) = send(getter, Some(id.clone())).await else {
            return findings;
        };
        let status = get.status();
        steps.push(get);
        if matches!(status, Some(404 | 410)) {
            let found = unavailable(&link.producer, status.unwrap_or_default());
            findings.push(report(shared, &steps, found, position));
        }
    }
    let Some(delete) = send(consumer, Some(id.clone())).await else {
        return findings;
    };
    let deleted = delete.status().is_some_and(|s| (200..300).contains(&s));
    steps.push(delete);
    if !deleted {
        return findings;
    }
    let after: Vec<usize> = getter.into_iter().chain([consumer]).collect();
    for index in after {
        let Some(step) = send(index, Some(id.clone())).await else {
            return findings;
        };
        let status = step.status();
        steps.push(step);
        let gone = |s: &u16| says_not_there(&operations[index], *s);
        if let Some(status) = status.filter(|s| !gone(s)) {
            let method = operations[consumer].method.as_str();
            findings.push(report(
                shared,
                &steps,
                still_served(method, status),
                position,
            ));
        }
    }
    findings
}

/// The made id as the consumer's parameter reads it.
fn as_sent(shared: &Shared, consumer: usize, pointer: &str, made: &Value) -> Value {
    shared.operations[consumer]
        .shape
        .iter()
        .flat_map(|s| s.parameters())
        .find(|p| p.pointer() == pointer)
        .map_or_else(|| made.clone(), |p| p.as_sent(made))
}

/// Whether `id` satisfies the schema of `operation`'s parameter at `pointer`.
fn fits_operation(shared: &Shared, operation: usize, pointer: &str, id: &Value) -> bool {
    shared.operations[operation]
        .shape
        .iter()
        .flat_map(|s| s.parameters())
        .find(|p| p.pointer() == pointer)
        .is_none_or(|p| fits(p, id))
}

fn unavailable(producer: &str, status: u16) -> Violation {
    Violation {
        check: Check::ResourceUnavailable,
        // The same cause as a plan request's (check::resources), so both are one finding.
        cause: Cause::ResourceUnavailable {
            status,
            from: producer.to_owned(),
        },
        message: format!(
            "the resource `{producer}` just made is not retrievable by its id: {status}"
        ),
    }
}

fn still_served(method: &str, status: u16) -> Violation {
    Violation {
        check: Check::UseAfterFree,
        cause: Cause::StillServed {
            status,
            method: method.to_owned(),
        },
        message: format!(
            "after a successful {method} of the resource, its id got {status}, which does \
             not say it is gone (404 or 410): the deleted resource is still served"
        ),
    }
}

/// A finding for the last step of `steps`, its message listing every step.
fn report(shared: &Shared, steps: &[Step], mut violation: Violation, position: u64) -> Finding {
    let last = &steps[steps.len() - 1];
    let mut lines = vec![violation.message.clone(), "  steps:".to_owned()];
    for (number, step) in steps.iter().enumerate() {
        let endpoint = &shared.endpoints[step.operation];
        let request = endpoint.record(&step.sent.planned, &step.sent.outgoing);
        let answer = step
            .status()
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        lines.push(format!(
            "  {}. {} {} → {answer}\n     {}",
            number + 1,
            request.method,
            request.url,
            curl_command(&request)
        ));
    }
    violation.message = lines.join("\n");
    let context = Context {
        endpoint: &shared.endpoints[last.operation],
        key: shared.config.key.as_ref(),
        position,
        planned: &last.sent.planned,
        outgoing: &last.sent.outgoing,
        outcome: &last.sent.outcome,
    };
    let cause = violation.cause.to_string();
    let cause = shared
        .config
        .key
        .as_ref()
        .map_or(cause.clone(), |k| k.scrub(&cause));
    let mut finding = render(&context, violation.check, &violation.message, cause);
    let walk: Vec<&str> = steps
        .iter()
        .map(|s| shared.operations[s.operation].method.as_str())
        .collect();
    finding.reason = format!("{FAMILY}: {}", walk.join(" → "));
    finding.plan_id = format!("{}:{FAMILY}:{}", finding.case, finding.check);
    finding.examples = vec![finding.plan_id.clone()];
    finding.example_positions = vec![position];
    finding
}
