//! Handling phrased differently from the personas' own self-checks, as different
//! trainees would type it: `tests/data/scripts/<persona>/*.txt`, each a `run` answers
//! file whose header comments say what must happen:
//!
//! ```text
//! # persona: emotional
//! # scenario: floppy-drive
//! # difficulty: normal
//! # expect: resolved        (or not_resolved, walked_out)
//! ```

mod common;

use std::path::Path;

struct Script {
    persona: String,
    scenario: String,
    difficulty: String,
    expect: String,
}

fn header(path: &Path) -> Script {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}:")))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("{}: no `# {name}:` line", path.display()))
    };
    Script {
        persona: field("persona"),
        scenario: field("scenario"),
        difficulty: field("difficulty"),
        expect: field("expect"),
    }
}

#[test]
fn scripts_in_other_words_reach_their_expected_outcome() {
    let root = common::repo("tests/data/scripts");
    let mut failures = Vec::new();
    let mut per_persona: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "txt"))
        {
            let s = header(f);
            let out = common::peilian()
                .args([
                    "run",
                    "--json",
                    "--persona",
                    &s.persona,
                    "--scenario",
                    &s.scenario,
                    "--difficulty",
                    &s.difficulty,
                    "--answers",
                ])
                .arg(f)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let outcome = v["outcome"].as_str().unwrap();
            let ok = match s.expect.as_str() {
                "resolved" => outcome == "resolved",
                "walked_out" => outcome == "walked_out",
                "not_resolved" => outcome != "resolved",
                other => panic!("{}: unknown expect `{other}`", f.display()),
            };
            let counts = per_persona.entry(s.persona.clone()).or_default();
            if s.expect == "resolved" {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
            if !ok {
                let trail: Vec<String> = v["turns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| {
                        let kinds: Vec<&str> = t["signals"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|s| s["kind"].as_str().unwrap())
                            .collect();
                        format!(
                            "    [{}] {} {:?} {}",
                            t["anger"], t["trainee"], kinds, t["events"]
                        )
                    })
                    .collect();
                failures.push(format!(
                    "{}: expected {}, got {outcome}\n{}",
                    f.display(),
                    s.expect,
                    trail.join("\n")
                ));
            }
        }
    }
    for id in [
        "emotional",
        "righteous",
        "stubborn",
        "self-absorbed",
        "prepared",
        "influential",
    ] {
        let (good, bad) = per_persona.get(id).copied().unwrap_or_default();
        assert!(
            good >= 3 && bad >= 2,
            "{id}: {good} good and {bad} bad scripts; expected ≥ 3 and ≥ 2"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
