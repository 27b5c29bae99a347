//! The `specgate` command: a thin edge over the library (see [`specgate::cli`]).

/// mimalloc: the run's hot path allocates per request (bodies, JSON values, headers), and
/// glibc malloc's contention between runtime threads cost a fifth of the run's CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    specgate::cli::main()
}
