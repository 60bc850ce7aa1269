#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // Parsed in two steps so that `run` can ask clap where each value came from.
    // A refused command line says what is wrong in Chinese first, then clap's message.
    let matches = peilian::cli::Cli::command()
        .try_get_matches()
        .unwrap_or_else(|e| {
            if let Some(hint) = peilian::cli::parse_error_hint(&e) {
                eprintln!("错误：{hint}");
            }
            e.exit()
        });
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
