//! `repro`: parse the command line, run the command, print the error and exit with its code.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if cli.command.only_reports() {
        // `repro status | head`: end quietly when the reader goes away, as Unix tools do,
        // instead of panicking in `println!` (Rust ignores SIGPIPE). Only for commands that
        // start no child and open no socket, where an ignored SIGPIPE is what keeps repro alive.
        // SAFETY: setting a signal's disposition to its default before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(repro::exit::FAILURE)
        }
    }
}
