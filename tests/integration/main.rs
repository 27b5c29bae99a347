//! specgate's integration tests, in one binary so `cargo test` links the crate once: each
//! module is an area, driving the real `specgate` binary or the library over real HTTP
//! against the built-in sandbox on an ephemeral loopback port.

mod action;
mod architecture;
mod auth;
mod broken_contracts;
mod causes;
mod cli_help;
mod common;
mod connections;
mod content_parameters;
mod corpus;
mod drift;
mod fingerprints;
mod forms;
mod gaps;
mod gate;
mod hostile;
mod html_report;
mod import;
mod jsts;
mod keywords;
mod media;
mod messages;
mod oauth;
mod openapi;
mod operations;
mod peer_checks;
mod plan;
mod readable_gate;
mod reports;
mod routing;
mod run;
mod sandbox;
mod state;
mod suite;
mod swagger2;
mod tls;
mod undocumented_methods;
