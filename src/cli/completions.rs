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

/// `peilian man`: the roff man page, from the same definitions. clap_mangen writes the
/// page of the top-level command, which lists the commands; each command (and each of
/// `persona`, `rubric`, `config`, `llm`'s) then gets a section with its usage and what
/// it does, so `man peilian` answers for `peilian persona validate` too.
pub(super) fn man() -> anyhow::Result<u8> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    let mut sections = clap_mangen::roff::Roff::new();
    sections.control("SH", ["COMMAND DETAILS"]);
    for sub in cmd.get_subcommands() {
        command_section(&mut sections, sub, "peilian");
    }
    sections.to_writer(&mut page)?;
    io::stdout().lock().write_all(&page)?;
    Ok(0)
}

/// One `.SS` per command, its subcommands after it.
fn command_section(roff: &mut clap_mangen::roff::Roff, cmd: &clap::Command, parent: &str) {
    use clap_mangen::roff::roman;
    let name = format!("{parent} {}", cmd.get_name());
    roff.control("SS", [name.as_str()]);
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        roff.text([roman(about.to_string())]);
    }
    let usage = cmd
        .clone()
        .bin_name(&name)
        .render_usage()
        .to_string()
        .replace("Usage: ", "");
    roff.control("PP", []).text([roman(usage)]);
    for sub in cmd.get_subcommands() {
        command_section(roff, sub, &name);
    }
}
