fn main() -> std::process::ExitCode {
    specgate::cli::main()
}
