//! `peilian completions`: the shell completion script, generated from the same clap
//! definitions that parse the command line, so it cannot fall behind them.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

pub(super) fn run(shell: Shell) -> anyhow::Result<u8> {
    // Generated into memory first: the generators panic on a write error, and a
    // closed pipe (`peilian completions bash | head`) is not an error here.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "peilian", &mut script);
    io::stdout().lock().write_all(&script)?;
    Ok(0)
}
