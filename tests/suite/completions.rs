//! `peilian completions`: a script for each shell that knows every subcommand, and that
//! the shell itself accepts.

use crate::common;

use std::process::Command;

use common::peilian;

const SUBCOMMANDS: [&str; 11] = [
    "practice",
    "persona",
    "rubric",
    "run",
    "score",
    "assess",
    "analyze",
    "schema",
    "history",
    "config",
    "completions",
];

fn script(shell: &str) -> String {
    let out = peilian().args(["completions", shell]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_shell_gets_every_subcommand_and_their_options() {
    for shell in ["bash", "zsh", "fish"] {
        let s = script(shell);
        for sub in SUBCOMMANDS {
            assert!(s.contains(sub), "{shell} script lacks {sub}");
        }
        for option in ["--sessions-dir", "--trainee", "--persona-dir", "--force"] {
            assert!(
                s.contains(option) || s.contains(option.trim_start_matches('-')),
                "{shell} script lacks {option}"
            );
        }
    }
    peilian()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bash"));
}

#[test]
fn bash_sources_the_script_and_registers_peilian() {
    if !has("bash") {
        eprintln!("bash not installed; skipped");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("peilian");
    let out = Command::new("bash")
        .args([
            "-c",
            r#"source <("$0" completions bash) && complete -p peilian"#,
        ])
        .arg(&bin)
        .output()
        .unwrap();
    let so = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(so.contains("peilian"), "{so}");
}

/// zsh and fish check the script's syntax without running it, where they are installed.
#[test]
fn zsh_and_fish_accept_the_scripts_syntax() {
    let d = common::Dir::new();
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        if !has(shell) {
            eprintln!("{shell} not installed; skipped");
            continue;
        }
        let file = d.write(&format!("peilian.{shell}"), script(shell));
        let out = Command::new(shell).arg(check).arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
