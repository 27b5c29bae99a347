//! How many requests the sandbox is answering right now, and a way to wait for a number.
//!
//! Tests of shutdown and slow faults need to know when a request has reached the server, or
//! when an abandoned one has been dropped; waiting on this gauge replaces guessing with sleeps.
//! The hot path pays one atomic add and one atomic subtract per request (a `Notify` with no
//! waiter takes no lock).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// The number of requests being answered.
#[derive(Debug, Clone, Default)]
pub(super) struct InFlight {
    count: Arc<AtomicUsize>,
    changed: Arc<Notify>,
}

/// Counts one request for as long as it lives; dropped when the answer is sent or the
/// client goes away.
pub(super) struct Entered(InFlight);

impl InFlight {
    /// Count a request that has just arrived.
    pub(super) fn enter(&self) -> Entered {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        Entered(self.clone())
    }

    /// Wait until exactly `n` requests are being answered.
    pub(super) async fn wait_until(&self, n: usize) {
        // `notify_one` stores a permit when no one waits, so a change between the load and
        // the await still wakes us; a stale permit only costs one more look.
        while self.count.load(Ordering::SeqCst) != n {
            self.changed.notified().await;
        }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_one();
    }
}
