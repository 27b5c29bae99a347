//! specgate: contract-conformance testing for HTTP/JSON APIs.
//!
//! Data flows one way through plain types, each stage a module:
//! `cases/ + schemas/` --[`contract`]--> [`contract::Operation`] --[`generate`]--> plan of
//! [`generate::PlannedRequest`]s --[`run`]--> exchanges --[`check`]--> findings
//! --[`report`]--> console, JSON, JUnit, Markdown; and --[`drift`]--> observed-contract snapshots.
//! [`sandbox`] is the reference server the harness is tested against; [`cli`] is the thin edge.

pub mod atomic_file;
pub mod check;
pub mod cli;
pub mod contract;
pub mod drift;
pub mod environment;
pub mod exit;
pub mod generate;
pub mod harness;
mod json;
pub mod known;
pub mod openapi;
pub mod pipeline;
pub mod report;
pub mod results;
pub mod run;
pub mod sandbox;
pub mod schema;
