//! `lgn`: train, compile and run logic gate networks.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cmd::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lgn: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
