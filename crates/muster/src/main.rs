//! The `muster` binary: runs the server (`serve`, `migrate`), bootstraps a database without a
//! server (`user create`, `token create`), and is the command-line client of a running server
//! (`login`, `service …`, `team …`, `user list|show`, `oncall now`, `schedule …`).

mod alert;
mod cli;
mod client;
mod console;
mod incident;
mod oncall;
mod page;
mod postmortem;
mod remote;
mod report;
mod slo;
mod table;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a request's handful of short-lived allocations cost
/// glibc's malloc about a tenth of the server's time under load (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // reqwest is built without a default crypto provider so that every TLS connection uses ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = cli::Cli::parse();
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
