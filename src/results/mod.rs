//! Results: what a run found and measured, as plain data that every later stage reads.
//! [`Finding`]s named by [`Check`], drift [`Severity`], the run's [`Summary`] (with
//! [`Coverage`], [`DriftRecord`]s and [`Warning`]s), the live [`Progress`] counts, and the curl form of a
//! [`SentRequest`].
//!
//! It sits between the stages so that data flows one way: `check` and `drift` produce these
//! types, `run` gathers them, and `report` renders them, without any of those importing
//! another for a type. It depends on nothing but [`crate::contract`]'s `Expect`.

mod check;
mod curl;
mod finding;
pub mod fold;
mod severity;
mod summary;
mod warning;

pub use check::Check;
pub use curl::{curl_command, shell_quote};
pub use finding::{excerpt, Finding, ResponseRecord, SentRequest, Shrunk, RESPONSE_EXCERPT_BYTES};
pub use severity::Severity;
pub use summary::{Coverage, DriftRecord, Halt, HaltReason, Progress, Summary};
pub use warning::Warning;
