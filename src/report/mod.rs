//! report (issue 4/5).
