//! The contract suite as cargo tests: one trial per case and request class, built from
//! cases/ by specgate's harness (see `specgate::harness` for the environment it reads).
//! `cargo test --test contract`, `cargo test --test contract -- --list`, and nextest
//! partitions (`cargo nextest run --test contract --partition count:1/2`) all work.

fn main() -> std::process::ExitCode {
    specgate::harness::main()
}
