//! The contract suite as a standalone libtest binary: the same trials as
//! `cargo test --test contract` (see [`specgate::harness`]), runnable without cargo, so a CI
//! job or specgate's own tests can run a trial without building anything.

fn main() -> std::process::ExitCode {
    specgate::harness::main()
}
