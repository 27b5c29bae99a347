//! check (issue 4/5).
