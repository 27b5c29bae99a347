//! run (issue 4/5).
