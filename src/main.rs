#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = peilian::cli::Cli::parse();
    match peilian::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if peilian::cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误: {e:#}");
            ExitCode::from(2)
        }
    }
}
