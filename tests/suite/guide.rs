//! The trainer's guide in the README («培训师上手»), run as written: its files are
//! written and its commands run with the real binary in an empty temp dir, in order,
//! and every command must succeed. A guide that drifts from the program fails here.

use crate::common::{Dir, repo};

/// The words of a command line: spaces split, double quotes group.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The guide's steps in order: `Ok(file, text)` to write, `Err(command)` to run.
fn steps(readme: &str) -> Vec<Result<(String, String), String>> {
    let start = readme
        .find("## 培训师上手")
        .expect("the README has the trainer's guide");
    let guide = &readme[start..];
    let guide = &guide[..guide[3..].find("\n## ").map_or(guide.len(), |i| i + 3)];
    let mut out = Vec::new();
    let mut lines = guide.lines();
    while let Some(l) = lines.next() {
        let marker = l.trim();
        let file = marker
            .strip_prefix("<!-- guide-file: ")
            .and_then(|r| r.strip_suffix(" -->"));
        if file.is_none() && marker != "<!-- guide-run -->" {
            continue;
        }
        assert!(lines.next().is_some_and(|f| f.starts_with("```")));
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        match file {
            Some(f) => out.push(Ok((f.to_string(), body.join("\n") + "\n"))),
            None => out.extend(body.iter().map(|c| Err(c.to_string()))),
        }
    }
    out
}

#[test]
fn the_trainers_guide_runs_as_written() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(steps.iter().filter(|s| s.is_ok()).count() >= 2, "{steps:?}");
    assert!(
        steps.iter().filter(|s| s.is_err()).count() >= 5,
        "{steps:?}"
    );
    let dir = Dir::new();
    for step in steps {
        match step {
            Ok((file, text)) => {
                dir.write(&file, text);
            }
            Err(command) => {
                let w = words(&command);
                assert_eq!(w[0], "peilian", "{command}");
                let out = dir.cmd().args(&w[1..]).output().unwrap();
                assert!(
                    out.status.success(),
                    "{command}\n{}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                if command.contains("persona test") {
                    let s = String::from_utf8_lossy(&out.stdout);
                    assert!(s.contains("2 passed, 0 failed"), "{s}");
                }
                if command.contains("rubric try") {
                    let s = String::from_utf8_lossy(&out.stdout);
                    assert!(s.contains("house.go-check-yourself"), "{s}");
                    assert!(s.contains("house.read-the-bill"), "{s}");
                }
            }
        }
    }
    // The persona the guide wrote is one of the customers a practice would offer.
    let out = dir
        .cmd()
        .args([
            "--rubric",
            "my-shop.toml",
            "--persona-dir",
            ".",
            "persona",
            "list",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("confused-elder"));
}
