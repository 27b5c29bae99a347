//! drift (issue 4/5).
