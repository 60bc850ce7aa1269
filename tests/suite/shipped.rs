//! Every shipped persona and rubric loads, validates and meets the content bar, so a
//! typo fails CI rather than a trainee's session.

use crate::common;

use std::collections::BTreeSet;

use peilian::persona::{Catalog, Expect, LEAD_POOLS, MAIN_POOLS};
use peilian::rubric::{default_rubric, load_rubric_file};

#[test]
fn default_rubric_file_validates() {
    let a = load_rubric_file(&common::repo("rubrics/default.toml")).unwrap();
    assert_eq!(a.rubric().id, "default");
}

#[test]
fn default_rubric_covers_the_ten_forbidden_phrases_and_more() {
    let r = default_rubric();
    for phrase in [
        "这种问题连小孩子都会",
        "你要知道,一分钱,一分货",
        "绝对不可能发生这种事",
        "你要去问别人,这不是我们的事",
        "我不知道,不清楚",
        "公司的规定就是这样的",
        "你看不懂中文吗",
        "改天再和你联络",
        "这种问题我们见得多了",
        "这是常有的事",
    ] {
        let hits = r.analyse(phrase);
        assert!(
            hits.iter().any(|s| r.kind(s).id == "forbidden"),
            "禁语「{phrase}」 is not detected"
        );
    }
    for kind in [
        "blame", "argue", "deflect", "impolite", "greeting", "thanks", "closing", "empathy",
    ] {
        assert!(
            r.rubric().rules.iter().any(|x| x.kind == kind),
            "no rule of kind {kind}"
        );
    }
}

#[test]
fn six_personas_load_with_enough_content() {
    let catalog = Catalog::load(None, default_rubric()).unwrap();
    let expected = [
        ("emotional", "感情用事"),
        ("righteous", "滥用正义感"),
        ("stubborn", "固执己见"),
        ("self-absorbed", "自我陶醉"),
        ("prepared", "有备而来"),
        ("influential", "有社会背景"),
    ];
    assert_eq!(catalog.entries().len(), 6);
    for (id, alias) in expected {
        let e = catalog
            .find(alias)
            .unwrap_or_else(|| panic!("alias {alias} finds nothing"));
        assert_eq!(e.persona.id, id);
        let p = &e.persona;
        assert!(p.scenarios.len() >= 3, "{id}: fewer than three scenarios");
        let industries: BTreeSet<&str> = p.scenarios.iter().map(|s| s.industry.as_str()).collect();
        assert_eq!(
            industries.len(),
            p.scenarios.len(),
            "{id}: scenarios share an industry"
        );
        for (pool, lines) in p.lines.pools() {
            if LEAD_POOLS.contains(&pool) {
                continue;
            }
            let min = if MAIN_POOLS.contains(&pool) { 8 } else { 5 };
            assert!(
                lines.len() >= min,
                "{id}: lines.{pool} has {} lines, expected ≥ {min}",
                lines.len()
            );
            let unique: BTreeSet<&String> = lines.iter().collect();
            assert_eq!(
                unique.len(),
                lines.len(),
                "{id}: lines.{pool} repeats a line"
            );
        }
        for s in &p.scenarios {
            for expect in [
                Expect::Resolved,
                Expect::WalkedOut,
                Expect::NotResolved,
                Expect::AngerRises,
            ] {
                assert!(
                    p.checks.iter().any(|c| c.expect == expect
                        && c.scenario.as_deref().unwrap_or(&p.scenarios[0].id) == s.id),
                    "{id}/{}: no self-check expecting {expect:?}",
                    s.id
                );
            }
        }
    }
}

/// A tip is advice a trainee will follow word for word: said as written, it must give
/// a signal that meets its need.
#[test]
fn every_shipped_need_tip_meets_its_need() {
    let analyser = default_rubric();
    let catalog = Catalog::load(None, analyser).unwrap();
    for e in catalog.entries() {
        for need in &e.persona.needs {
            let id = format!("{}/{}", e.persona.id, need.id);
            assert!(!need.tip.is_empty(), "{id}: no tip");
            if need.any.is_empty() {
                continue;
            }
            let kinds: Vec<&str> = analyser
                .analyse(&need.tip)
                .iter()
                .map(|s| analyser.kind(s).id.as_str())
                .collect();
            assert!(
                need.any.iter().any(|k| kinds.contains(&k.as_str())),
                "{id}: tip 「{}」 gives {kinds:?}, none of {:?}",
                need.tip,
                need.any
            );
        }
    }
}

#[test]
fn every_shipped_self_check_passes() {
    let analyser = default_rubric();
    let catalog = Catalog::load(None, analyser).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for e in catalog.entries() {
        for r in peilian::selfcheck::run_all(e, analyser) {
            n += 1;
            if !r.passed {
                failures.push(format!(
                    "{}/{} {}: expected {:?}, got {:?}; anger {} → {:?}\n  {}",
                    r.persona,
                    r.scenario,
                    r.name,
                    r.expect,
                    r.outcome,
                    r.initial_anger,
                    r.angers,
                    r.notes.join("\n  ")
                ));
            }
        }
    }
    assert!(n >= 72, "only {n} self-checks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Keys whose strings are regular expressions (and the rubric's `[defines]`): matched
/// against what trainees type, not read by anyone.
const PATTERN_KEYS: [&str; 5] = ["patterns", "asked_by", "terms", "except", "defines"];

/// ASCII `,` `?` `!` `;` in Chinese text, touching a Han character or not
/// (「{title},{demand}」, 「打12315!」), except inside English words and numbers.
fn ascii_marks_by_han(text: &str) -> Vec<String> {
    let cs: Vec<char> = text.chars().collect();
    let is_han = |c: &char| ('\u{4E00}'..='\u{9FFF}').contains(c);
    // English text that quotes a Chinese word keeps English punctuation.
    let han = cs.iter().filter(|c| is_han(c)).count();
    if han == 0 || cs.iter().filter(|c| c.is_ascii_alphabetic()).count() > han {
        return Vec::new();
    }
    // English inside Chinese (an identifier, a code comment) keeps its own marks:
    // after ASCII and before a space or ASCII.
    let ascii = |c: Option<&char>| c.is_some_and(|c| c.is_ascii() && !c.is_ascii_whitespace());
    let english_next = |c: Option<&char>| c.is_some_and(|c| *c == ' ' || c.is_ascii_alphanumeric());
    // A bracket beside a Chinese character is a Chinese aside: （）.
    let bracket_by_han = |i: usize| {
        matches!(cs[i], '(' | ')')
            && (i.checked_sub(1).and_then(|j| cs.get(j)).is_some_and(is_han)
                || cs.get(i + 1).is_some_and(is_han))
    };
    (0..cs.len())
        .filter(|&i| matches!(cs[i], ',' | '?' | '!' | ';') || bracket_by_han(i))
        .filter(|&i| {
            !(ascii(i.checked_sub(1).and_then(|j| cs.get(j))) && english_next(cs.get(i + 1)))
        })
        .map(|i| {
            cs[i.saturating_sub(6)..(i + 6).min(cs.len())]
                .iter()
                .collect()
        })
        .collect()
}

/// Fails with every mark found, counted.
fn assert_no_marks(bad: &[String]) {
    assert!(
        bad.is_empty(),
        "{} ASCII marks by Chinese text:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

fn strings_outside_patterns(v: &toml::Value, key: &str, out: &mut Vec<String>) {
    if PATTERN_KEYS.contains(&key) {
        return;
    }
    match v {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|x| strings_outside_patterns(x, key, out)),
        toml::Value::Table(t) => t
            .iter()
            .for_each(|(k, x)| strings_outside_patterns(x, k, out)),
        _ => {}
    }
}

/// What trainees and trainers read in the shipped files (customer lines, briefs, better
/// phrasings, comments) uses Chinese punctuation between Chinese characters.
#[test]
fn shipped_files_use_chinese_punctuation() {
    let mut files: Vec<_> = std::fs::read_dir(common::repo("personas"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.push(common::repo("rubrics/default.toml"));
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut strings = Vec::new();
        strings_outside_patterns(&toml::from_str(&text).unwrap(), "", &mut strings);
        strings.extend(
            text.lines()
                .filter_map(|l| l.find('#').map(|i| &l[i..]))
                .filter(|c| !c.contains('\''))
                .map(str::to_string),
        );
        for s in strings {
            for m in ascii_marks_by_han(&s) {
                bad.push(format!("{}: …{m}…", f.display()));
            }
        }
    }
    assert_no_marks(&bad);
}

/// The README is what trainers and assessors read first: its Chinese prose (outside code
/// blocks and code spans) uses Chinese punctuation between Chinese characters too.
#[test]
fn readme_uses_chinese_punctuation() {
    let readme = std::fs::read_to_string(common::repo("README.md")).unwrap();
    let mut fence = false;
    let mut bad = Vec::new();
    for (n, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        // Prose is what lies between code spans: the even pieces between backticks.
        let prose: Vec<&str> = line.split('`').step_by(2).collect();
        for m in ascii_marks_by_han(&prose.join(" ")) {
            bad.push(format!("README.md:{}: …{m}…", n + 1));
        }
    }
    assert_no_marks(&bad);
}

/// Every `--help` page the binary prints, for the top level and each subcommand (and
/// theirs), keeps Chinese punctuation beside Chinese text, by the check the run-time
/// messages get ([`runtime_marks_by_han`]): the help texts are doc comments, and the
/// tools that write them lose full-width marks.
#[test]
fn help_pages_use_chinese_punctuation() {
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut bad = Vec::new();
    let mut i = 0;
    while i < commands.len() {
        let args = commands[i].clone();
        i += 1;
        let out = common::peilian()
            .args(&args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?} --help failed");
        let page = String::from_utf8(out.stdout).unwrap();
        let name = if args.is_empty() {
            "peilian".to_string()
        } else {
            args.join(" ")
        };
        for line in page.lines() {
            let marks = runtime_marks_by_han(line);
            bad.extend(marks.into_iter().map(|m| format!("{name} --help: …{m}…")));
        }
        // Subcommands are listed under "Commands:", two spaces in, one word each.
        let listed = page
            .split_once("Commands:\n")
            .map(|(_, rest)| rest.split("\n\n").next().unwrap_or_default())
            .unwrap_or_default();
        for l in listed.lines() {
            let word = l.split_whitespace().next().unwrap_or_default();
            if l.starts_with("  ") && !l.starts_with("   ") && word != "help" {
                commands.push(args.iter().cloned().chain([word.to_string()]).collect());
            }
        }
    }
    assert!(
        commands.len() > 20,
        "found only {} help pages",
        commands.len()
    );
    assert_no_marks(&bad);
}

/// The README's architecture section is the map a new engineer reads first: every
/// module path it names must exist under `src/`, so the map cannot drift from the code
/// unnoticed.
#[test]
fn readme_architecture_names_only_modules_that_exist() {
    let readme = std::fs::read_to_string(common::repo("README.md")).unwrap();
    let start = readme
        .find("\n## 架构")
        .expect("README has an architecture section")
        + 1;
    let body = &readme[start..];
    let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 3);
    let section = &body[..end];
    // Code spans are the odd pieces between backticks.
    let paths: Vec<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|p| p.starts_with("src/"))
        .collect();
    assert!(
        paths.len() >= 20,
        "the section should map the modules: {paths:?}"
    );
    let missing: Vec<&str> = paths
        .into_iter()
        .filter(|p| !common::repo(p).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "README's architecture section names paths that are not in src/: {missing:?}"
    );
}

/// What the commands print is Chinese with Chinese punctuation: no ASCII comma,
/// question or exclamation mark, semicolon or colon between two Chinese characters, and
/// no ASCII bracket beside one, inside a string literal of the modules that word
/// messages for users (not the model's prompts, nor the audit's patterns).
#[test]
fn command_messages_use_chinese_punctuation() {
    let han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["src/cli", "src/assess", "src/repl"] {
        for e in std::fs::read_dir(common::repo(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    for f in [
        "src/score/render.rs",
        "src/score/html.rs",
        "src/history.rs",
        "src/diag/mod.rs",
        "src/diag/slips.rs",
        "src/diag/schema.rs",
        "src/persona/catalog.rs",
        "src/files.rs",
        "src/transcript/mod.rs",
        "src/persona/validate.rs",
        "src/rubric/load.rs",
        "src/llm/error.rs",
        "src/session.rs",
        "src/script.rs",
        "src/main.rs",
        "src/config.rs",
        "src/chatlog.rs",
        "src/pattern.rs",
        "src/persona/inherit.rs",
        "src/llm/voice.rs",
        "src/llm/client.rs",
        "src/llm/settings.rs",
        "src/serve/room.rs",
        "src/engine/turn.rs",
        "src/engine/offline.rs",
        "src/engine/mood.rs",
        "src/score/card.rs",
        "src/score/conduct.rs",
        "src/score/dimensions.rs",
        "src/score/ledger.rs",
        "src/score/rules.rs",
        "src/score/mod.rs",
        "src/replay.rs",
    ] {
        files.push(common::repo(f));
    }
    let mut bad = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("#[cfg(test)]") {
                break;
            }
            if line.trim_start().starts_with("//") {
                continue;
            }
            let cs: Vec<char> = line.chars().collect();
            // A placeholder stands for words: 「愤怒达到 {},客户」 is caught as well as
            // 「愤怒,客户」 (but not 「{path}:{line}」, with no Chinese beside the mark).
            let hit = cs.windows(3).any(|w| {
                matches!(w[1], ',' | '?' | '!' | ';' | ':')
                    && ((han(w[0]) && (han(w[2]) || w[2] == '{')) || (w[0] == '}' && han(w[2])))
            }) || cs.windows(2).any(|w| {
                (han(w[0]) && matches!(w[1], '(' | ')')) || (matches!(w[0], '(' | ')') && han(w[1]))
            });
            if hit {
                bad.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "ASCII marks between Chinese characters:\n{}",
        bad.join("\n")
    );
}

/// ASCII marks beside Chinese text in one line the binary prints: those of
/// [`ascii_marks_by_han`] in each clause (a bilingual message ends in an English clause
/// after 「；」 that would outweigh a short Chinese one), and an ASCII `;` or `:` after a
/// Chinese character or mark, or `:` before a Chinese character (not after a space).
fn runtime_marks_by_han(line: &str) -> Vec<String> {
    let cs: Vec<char> = line.chars().collect();
    let wide = |c: Option<&char>| {
        c.is_some_and(|c| {
            ('\u{4E00}'..='\u{9FFF}').contains(c)
                || ('\u{3000}'..='\u{303F}').contains(c)
                || ('\u{FF00}'..='\u{FFEF}').contains(c)
        })
    };
    let mut bad: Vec<String> = line
        .split([';', '\u{FF1B}'])
        .flat_map(ascii_marks_by_han)
        .collect();
    for i in 0..cs.len() {
        let before = i.checked_sub(1).and_then(|j| cs.get(j));
        let after = cs.get(i + 1);
        let flagged = match cs[i] {
            ';' => wide(before),
            ':' => {
                wide(before)
                    || (after.is_some_and(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
                        && before.is_some_and(|c| !c.is_whitespace()))
            }
            _ => false,
        };
        if flagged {
            bad.push(
                cs[i.saturating_sub(6)..(i + 6).min(cs.len())]
                    .iter()
                    .collect(),
            );
        }
    }
    bad
}

/// What trainees and trainers read at run time (error and warning messages, the
/// validation of their files, `run`, `score`, `history`, `persona show`, `config show`,
/// `llm check`) keeps Chinese punctuation beside Chinese text, as the help pages do:
/// the real binary on a handful of good and bad inputs, stdout and stderr.
#[test]
fn runtime_messages_use_chinese_punctuation() {
    use crate::llm_support::{Server, closed_port, completion};

    let d = common::Dir::new();
    let broken = |kind: &str| -> Vec<String> {
        let dir = common::repo(&format!("tests/data/broken/{kind}"));
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.display().to_string())
            .collect();
        v.sort();
        v
    };
    d.write(
        "script.txt",
        "您好，请问有什么可以帮您？\n非常理解您的心情，请问您的维修单号是多少？\n\
         我们明天上午安排上门，给您换一台新的。\n",
    );
    d.write("bad-utf8.txt", b"\xff\xfe\n");
    d.write("long.txt", format!("{}\n", "您好".repeat(400)));
    d.write("bad.jsonl", "{\"type\":\"turn\",\n");
    d.write("empty.jsonl", "");
    d.write("chat.jsonl", "不是聊天记录\n");
    let server = Server::start(vec![completion("Hello! How can I help you today?")]);
    let english = server.url();
    let dead = format!("http://127.0.0.1:{}/v1", closed_port());
    // Each run: its arguments (`PERSONAS` and `RUBRICS` stand for every broken file of
    // that kind) and the model server it talks to, if any.
    let runs: [(&str, Option<&str>); 21] = [
        ("persona validate PERSONAS", None),
        ("rubric validate RUBRICS", None),
        ("persona list", None),
        ("persona show emotional --reveal", None),
        ("persona show nobody", None),
        ("config show", None),
        ("history", None),
        ("history --trainee 张三", None),
        ("run --persona emotional --answers script.txt", None),
        (
            "run --persona 感情用事 --answers script.txt --trainee 张三 --transcript t.jsonl",
            None,
        ),
        ("score t.jsonl", None),
        ("history --trainee 张三", None),
        (
            "run --persona emotional --scenario nowhere --answers script.txt",
            None,
        ),
        ("run --persona emotional --answers bad-utf8.txt", None),
        ("run --persona emotional --answers long.txt", None),
        ("score bad.jsonl", None),
        ("score empty.jsonl", None),
        ("score chat.jsonl", None),
        ("llm check", Some(&dead)),
        ("llm check --model tiny --no-stream", Some(&english)),
        (
            "run --persona emotional --answers script.txt --backend llm --model tiny",
            Some(&english),
        ),
    ];
    let mut bad = Vec::new();
    let mut lines = 0;
    for (args, server) in runs {
        let mut c = d.cmd();
        for arg in args.split_whitespace() {
            match arg {
                "PERSONAS" => c.args(broken("persona")),
                "RUBRICS" => c.args(broken("rubric")),
                _ => c.arg(arg),
            };
        }
        if let Some(url) = server {
            c.env("OPENAI_BASE_URL", url)
                .env("OPENAI_API_KEY", "sk-test");
        }
        let out = c.output().unwrap();
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for line in String::from_utf8_lossy(text).lines() {
                lines += 1;
                bad.extend(
                    runtime_marks_by_han(line)
                        .into_iter()
                        .map(|m| format!("{args} ({stream}): …{m}…\n    {line}")),
                );
            }
        }
    }
    assert!(lines > 200, "only {lines} lines of output");
    assert_no_marks(&bad);
}
