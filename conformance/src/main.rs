//! The `embertls` command-line tool; see `embertls --help`.

fn main() -> std::process::ExitCode {
    embertls_conformance::cli::main(std::env::args_os().skip(1))
}
