#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // Parsed in two steps so that `run` can ask clap where each value came from.
    let matches = peilian::cli::Cli::command().get_matches();
    let cli = peilian::cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match peilian::cli::run(cli, matches) {
        Ok(code) => ExitCode::from(code),
        Err(e) if peilian::cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}
