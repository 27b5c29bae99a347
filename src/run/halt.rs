//! Stopping a run early, within a bounded time: the circuit breaker (a target that stops
//! answering) and `--deadline` (a cap on the whole run). Either one halts every worker at
//! once, in-flight requests included, and the run reports what it has, marked incomplete.

use crate::check::{Outcome, TransportFailure};
use crate::results::{Halt, HaltReason};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The breaker trips after this many consecutive failed requests at least...
const MIN_BREAKER_FAILURES: u64 = 8;
/// ...and at most this many, however many requests are in flight.
const MAX_BREAKER_FAILURES: u64 = 64;

/// Watches every outcome and the clock; shared by all worker threads.
pub(super) struct Guard {
    threshold: u64,
    consecutive: AtomicU64,
    started: Instant,
    deadline: Option<Duration>,
    halt: OnceLock<Halt>,
    halted: Notify,
}

impl Guard {
    /// The breaker's threshold follows the concurrency: a hung target fails every request in
    /// flight at the same moment, so the first wave of timeouts is enough to trip it.
    pub(super) fn new(concurrency: usize, deadline: Option<Duration>) -> Guard {
        Guard {
            threshold: (concurrency as u64).clamp(MIN_BREAKER_FAILURES, MAX_BREAKER_FAILURES),
            consecutive: AtomicU64::new(0),
            started: Instant::now(),
            deadline,
            halt: OnceLock::new(),
            halted: Notify::new(),
        }
    }

    /// Count one outcome: any response resets the breaker; a timeout, refused connection or
    /// broken connection counts towards tripping it. An oversized body or a throttled
    /// answer is an answer.
    pub(super) fn observe(&self, outcome: &Outcome) {
        let failure = match outcome {
            Outcome::Transport(
                failure @ (TransportFailure::Timeout
                | TransportFailure::Connect(_)
                | TransportFailure::Broken(_)),
            ) => failure,
            _ => {
                // Read before writing: on the hot path the count is already 0, and a store
                // would bounce the cache line between the worker threads.
                if self.consecutive.load(Ordering::Relaxed) != 0 {
                    self.consecutive.store(0, Ordering::Relaxed);
                }
                return;
            }
        };
        let failed = self.consecutive.fetch_add(1, Ordering::Relaxed) + 1;
        if failed < self.threshold {
            return;
        }
        let seconds = self.started.elapsed().as_secs_f64();
        self.halt(Halt {
            reason: HaltReason::CircuitBreaker,
            message: format!(
                "circuit breaker: {failed} requests in a row got no usable answer (the last: \
                 {failure}), {seconds:.1} s into the run; the target looks down, hung or refusing \
                 every connection, so the run stopped instead of waiting out every request"
            ),
        });
    }

    /// Stop the run; the first reason given wins.
    pub(super) fn halt(&self, halt: Halt) {
        if self.halt.set(halt).is_ok() {
            self.halted.notify_waiters();
        }
    }

    pub(super) fn is_halted(&self) -> bool {
        self.halt.get().is_some()
    }

    pub(super) fn reason(&self) -> Option<Halt> {
        self.halt.get().cloned()
    }

    /// Resolves once the run is halted, halting it itself when the deadline passes.
    pub(super) async fn halted(&self) {
        let notified = self.halted.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.is_halted() {
            return;
        }
        let Some(deadline) = self.deadline else {
            return notified.await;
        };
        let at = tokio::time::Instant::from_std(self.started + deadline);
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(at) => self.halt(Halt {
                reason: HaltReason::Deadline,
                message: format!(
                    "--deadline {}: the run stopped before its plan was done; \
                     the report holds what it had",
                    humantime::format_duration(deadline)
                ),
            }),
        }
    }

    /// Run `work` unless the run is halted first; `None` when it was (the work is dropped,
    /// closing its connection).
    pub(super) async fn bounded<F: Future>(&self, work: F) -> Option<F::Output> {
        if self.is_halted() {
            return None;
        }
        tokio::select! {
            output = work => Some(output),
            _ = self.halted() => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ObservedResponse;

    fn response() -> Outcome {
        Outcome::Response(ObservedResponse {
            status: 200,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::new(),
            elapsed_ms: 1,
        })
    }

    #[test]
    fn the_breaker_trips_on_consecutive_failures_only() {
        let guard = Guard::new(1, None);
        let timeout = Outcome::Transport(TransportFailure::Timeout);
        for _ in 0..MIN_BREAKER_FAILURES - 1 {
            guard.observe(&timeout);
        }
        guard.observe(&response());
        for _ in 0..MIN_BREAKER_FAILURES - 1 {
            guard.observe(&timeout);
        }
        assert!(!guard.is_halted(), "a response in between resets the count");
        guard.observe(&timeout);
        let halt = guard.reason().expect("tripped");
        assert_eq!(halt.reason, HaltReason::CircuitBreaker);
        assert!(halt
            .message
            .contains("no complete response within the timeout"));
    }

    #[test]
    fn oversized_and_throttled_answers_are_answers() {
        let guard = Guard::new(1, None);
        for _ in 0..MAX_BREAKER_FAILURES {
            guard.observe(&Outcome::Transport(TransportFailure::Oversized {
                limit: 1,
            }));
        }
        assert!(!guard.is_halted());
    }

    #[tokio::test]
    async fn the_deadline_halts_pending_work() {
        let guard = Guard::new(4, Some(Duration::from_millis(20)));
        let never = std::future::pending::<()>();
        assert_eq!(guard.bounded(never).await, None);
        assert_eq!(guard.reason().map(|h| h.reason), Some(HaltReason::Deadline));
    }
}
