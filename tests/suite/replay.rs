//! The replay check (issue 17): real transcripts made by `peilian run` and `practice`,
//! edited the way a trainee wanting a better grade would, are caught by `score` and
//! `assess` naming the turn; honest ones, with take-backs too, verify clean; and a
//! practice session killed at random moments always resumes and scores.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use peilian::transcript;
use serde_json::Value;

use crate::common::{Dir, repo};

const MISMATCH: &str = "记录与重放不一致，不能用于考核";

/// A session played by `peilian run` into `name`.
fn run(dir: &Dir, persona: &str, answers: &str, seed: u64, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    dir.cmd()
        .args(["run", "--persona", persona, "--seed", &seed.to_string()])
        .arg("--answers")
        .arg(repo(&format!("tests/data/scripts/{persona}/{answers}")))
        .arg("--transcript")
        .arg(&path)
        .assert()
        .success();
    path
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// The JSON scorecard `score` prints.
fn card(dir: &Dir, path: &Path) -> Value {
    let out = dir
        .cmd()
        .args(["score", "--format", "json"])
        .arg(path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

/// The card's invalid reason, asserting it is a replay mismatch.
fn caught(dir: &Dir, path: &Path) -> String {
    let c = card(dir, path);
    assert_eq!(c["replay"]["status"], "mismatch", "{}", c["replay"]);
    let why = c["invalid"].as_str().unwrap().to_string();
    assert!(why.starts_with(MISMATCH), "{why}");
    why
}

fn turns(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "turn")
        .cloned()
        .collect()
}

/// The header, the given turns renumbered from 1, and the end line if any.
fn rebuild(header: &Value, turns: Vec<Value>, end: Option<&Value>) -> Vec<Value> {
    let mut out = vec![header.clone()];
    for (i, mut t) in turns.into_iter().enumerate() {
        t["n"] = (i + 1).into();
        out.push(t);
    }
    out.extend(end.cloned());
    out
}

struct Sessions {
    dir: Dir,
    poor: PathBuf,
    good: PathBuf,
}

fn sessions() -> Sessions {
    let dir = Dir::new();
    let poor = run(&dir, "emotional", "bad-4-sorry.txt", 3, "poor.jsonl");
    let good = run(&dir, "emotional", "good-1.txt", 3, "good.jsonl");
    assert_eq!(card(&dir, &poor)["replay"]["status"], "verified");
    assert_eq!(card(&dir, &good)["replay"]["status"], "verified");
    assert_eq!(card(&dir, &poor)["outcome"], "walked_out");
    Sessions { dir, poor, good }
}

#[test]
fn each_forgery_is_caught_naming_the_turn() {
    let s = sessions();
    let dir = &s.dir;
    let poor = records(&s.poor);
    let good = records(&s.good);
    let forged = dir.path().join("forged.jsonl");
    let end_of = |l: &[Value]| l.iter().find(|x| x["type"] == "end").cloned();

    // The poor session's trainee lines replaced with good ones, and the end resolved.
    let mut lines = poor.clone();
    let good_turns = turns(&good);
    for (l, g) in lines
        .iter_mut()
        .filter(|l| l["type"] == "turn")
        .zip(&good_turns)
    {
        l["trainee"] = g["trainee"].clone();
    }
    for l in lines.iter_mut().filter(|l| l["type"] == "end") {
        l["outcome"] = "resolved".into();
    }
    write(&forged, &lines);
    assert!(caught(dir, &forged).contains("第 1 轮"));

    // Only the end line changed to resolved.
    let mut lines = poor.clone();
    let last = turns(&poor).len();
    for l in lines.iter_mut().filter(|l| l["type"] == "end") {
        l["outcome"] = "resolved".into();
    }
    write(&forged, &lines);
    let why = caught(dir, &forged);
    assert!(
        why.contains(&format!("第 {last} 轮")) && why.contains("结局不同"),
        "{why}"
    );

    // The end line cut off: the customer walked out, the file says nothing.
    let lines: Vec<Value> = poor
        .iter()
        .filter(|l| l["type"] != "end")
        .cloned()
        .collect();
    write(&forged, &lines);
    assert!(caught(dir, &forged).contains("没有结束行"));

    // Turns spliced from two sessions: the good session's first two, the poor one's rest.
    let mut spliced: Vec<Value> = turns(&good)[..2].to_vec();
    spliced.extend(turns(&poor)[2..].iter().cloned());
    write(&forged, &rebuild(&good[0], spliced, end_of(&poor).as_ref()));
    let why = caught(dir, &forged);
    assert!(why.contains("第 3 轮"), "{why}");

    // A bad turn deleted and the rest renumbered.
    let mut kept = turns(&good);
    kept.remove(1);
    write(&forged, &rebuild(&good[0], kept, end_of(&good).as_ref()));
    assert!(caught(dir, &forged).contains("第 2 轮"));

    // Turns reordered and renumbered to look consecutive.
    let mut swapped = turns(&good);
    swapped.swap(1, 2);
    write(&forged, &rebuild(&good[0], swapped, end_of(&good).as_ref()));
    assert!(caught(dir, &forged).contains("第 2 轮"));

    // A customer line inserted into a turn.
    let mut lines = good.clone();
    lines[2]["customer"] = "好的，我很满意。".into();
    write(&forged, &lines);
    let why = caught(dir, &forged);
    assert!(
        why.contains("第 2 轮") && why.contains("客户的话不同"),
        "{why}"
    );

    // The recorded difficulty edited.
    let mut lines = poor.clone();
    lines[0]["difficulty"] = "easy".into();
    write(&forged, &lines);
    assert!(caught(dir, &forged).contains("开场"));

    // The seed changed.
    let mut lines = good.clone();
    lines[0]["seed"] = 4.into();
    write(&forged, &lines);
    let why = caught(dir, &forged);
    assert!(why.contains("开场") || why.contains("轮"), "{why}");

    // A mood edited.
    let mut lines = poor.clone();
    lines[1]["anger"] = 10.into();
    write(&forged, &lines);
    assert!(caught(dir, &forged).contains("第 1 轮"));

    // Turns renumbered out of order: the reader refuses the file, naming the line.
    let mut lines = good.clone();
    lines[2]["n"] = 3.into();
    write(&forged, &lines);
    dir.cmd()
        .arg("score")
        .arg(&forged)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("forged.jsonl:3: 轮次 3 不连续"));
}

/// A classmate's transcript with another name replays exactly as it did: the trainee's
/// name plays no part in the session. Only a signature (a later issue) could catch it;
/// the README says so.
#[test]
fn a_copied_transcript_under_another_name_still_replays() {
    let s = sessions();
    let mut lines = records(&s.good);
    lines[0]["trainee"] = "冒名者".into();
    let forged = s.dir.path().join("copy.jsonl");
    write(&forged, &lines);
    let c = card(&s.dir, &forged);
    assert_eq!(c["replay"]["status"], "verified");
    assert_eq!(c["trainee"], "冒名者");
}

#[test]
fn assess_marks_forged_sessions_and_strict_fails() {
    let s = sessions();
    let cohort = s.dir.path().join("cohort");
    std::fs::create_dir(&cohort).unwrap();
    std::fs::copy(&s.good, cohort.join("a.jsonl")).unwrap();
    let mut lines = records(&s.poor);
    for l in lines.iter_mut().filter(|l| l["type"] == "end") {
        l["outcome"] = "resolved".into();
    }
    write(&cohort.join("b.jsonl"), &lines);
    let out = s.dir.path().join("out");
    s.dir
        .cmd()
        .arg("assess")
        .arg(&cohort)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[1].ends_with(",是"), "{}", rows[1]);
    assert!(rows[2].contains(&format!("否：{MISMATCH}")), "{}", rows[2]);
    s.dir
        .cmd()
        .arg("assess")
        .arg(&cohort)
        .arg("--strict")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("b: 记录与重放不一致"));
}

#[test]
fn a_changed_persona_is_said_not_hidden() {
    let s = sessions();
    let mut lines = records(&s.good);
    lines[0]["persona"]["hash"] = "0000".into();
    let path = s.dir.path().join("old.jsonl");
    write(&path, &lines);
    let c = card(&s.dir, &path);
    assert_eq!(c["replay"]["status"], "unverified");
    assert!(c["invalid"].is_null());
    let text = s.dir.cmd().arg("score").arg(&path).output().unwrap().stdout;
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("记录时的客户画像与现在的不同，无法重放核对"),
        "{text}"
    );
}

/// Every built-in persona's good and bad scripts, and practice sessions with
/// take-backs, verify clean.
#[test]
fn honest_transcripts_of_every_persona_verify() {
    let dir = Dir::new();
    let scripts = repo("tests/data/scripts");
    let mut personas: Vec<String> = std::fs::read_dir(&scripts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    personas.sort();
    assert_eq!(personas.len(), 6);
    for (i, p) in personas.iter().enumerate() {
        for answers in ["good-1.txt", "bad-1-argues.txt"] {
            if !scripts.join(p).join(answers).exists() {
                continue;
            }
            let path = run(
                &dir,
                p,
                answers,
                i as u64 + 1,
                &format!("{p}-{answers}.jsonl"),
            );
            let c = card(&dir, &path);
            assert_eq!(
                c["replay"]["status"], "verified",
                "{p} {answers}: {}",
                c["replay"]
            );
        }
        // Through a pipe, with take-backs, one of a 禁语, and two in a row.
        let good = std::fs::read_to_string(scripts.join(p).join("good-1.txt")).unwrap();
        let good: Vec<&str> = good
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        let input = format!(
            "{}\n公司的规定就是这样的\n/undo\n{}\n您别急\n/undo\n/undo\n{}\n",
            good[0],
            good[1],
            good[1..].join("\n")
        );
        dir.cmd()
            .args(["practice", "--persona", p, "--seed", &i.to_string()])
            .write_stdin(input)
            .assert()
            .success();
    }
    let mut n = 0;
    for path in jsonl(&dir.sessions_dir()) {
        let t = transcript::read(&path).unwrap();
        assert!(!t.undos.is_empty(), "{}", path.display());
        let c = card(&dir, &path);
        assert_eq!(
            c["replay"]["status"],
            "verified",
            "{}: {}",
            path.display(),
            c["replay"]
        );
        n += 1;
    }
    assert_eq!(n, 6);
}

/// A take-back whose quoted line was edited is refused by the reader.
#[test]
fn an_edited_take_back_is_refused() {
    let dir = Dir::new();
    dir.cmd()
        .args(["practice", "--persona", "emotional", "--seed", "1"])
        .write_stdin("您好\n您别急\n/undo\n")
        .assert()
        .success();
    let path = jsonl(&dir.sessions_dir()).remove(0);
    let text = std::fs::read_to_string(&path).unwrap().replace(
        r#""type":"undo","turn":2,"trainee":"您别急""#,
        r#""type":"undo","turn":2,"trainee":"好的""#,
    );
    std::fs::write(&path, text).unwrap();
    dir.cmd()
        .arg("score")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("撤回第 2 轮的原话"));
}

/// The transcripts in a sessions folder (it holds scorecards too).
fn jsonl(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    all.sort();
    all
}

/// A tiny deterministic generator: the kill moments vary, the test does not.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Practice killed with SIGKILL at random moments while writing long turns, each time
/// resumed and scored: every session scores, no turn already written is lost, and no
/// empty or torn transcript is left behind.
#[test]
fn killed_sessions_resume_and_score() {
    let dir = Dir::new();
    let sessions = dir.sessions_dir();
    let mut rng = Lcg(17);
    let filler = "非常理解您的心情，我们马上为您核实订单情况并给出处理方案。";
    let long = |i: usize| {
        let mut s = format!("第{i}点：");
        while s.chars().count() < 2000 {
            s.push_str(filler);
        }
        s.chars().take(2000).collect::<String>()
    };
    let mut kills = 0;
    for round in 0..40 {
        let mut child = dir
            .cmd_std()
            .args(["practice", "--persona", "emotional", "--seed"])
            .arg(round.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let text: String = (0..6).map(|i| long(i) + "\n").collect();
        let _ = stdin.write_all(text.as_bytes());
        std::thread::sleep(Duration::from_millis(rng.below(60)));
        let _ = child.kill();
        let _ = child.wait();
        drop(stdin);
        kills += 1;
        for e in std::fs::read_dir(&sessions).into_iter().flatten() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "jsonl") {
                continue;
            }
            let before = std::fs::read(&path).unwrap();
            assert!(
                !before.is_empty(),
                "an empty transcript: {}",
                path.display()
            );
            let t = transcript::read(&path).unwrap();
            if t.end.is_none() {
                let out = dir
                    .cmd()
                    .args(["practice", "--resume"])
                    .arg(&path)
                    .write_stdin("请问您的订单号是多少？\n")
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let after = transcript::read(&path).unwrap();
                assert!(after.turns.len() > t.turns.len(), "{}", path.display());
                assert_eq!(after.turns[..t.turns.len()], t.turns[..]);
            }
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.ends_with(b"\n"), "torn: {}", path.display());
            let c = card(&dir, &path);
            assert_eq!(c["replay"]["status"], "verified", "{}", path.display());
            // Each session is checked once.
            let done = path.with_extension("done");
            std::fs::rename(&path, done).unwrap();
        }
    }
    assert_eq!(kills, 40);
}

/// A torn last line is dropped by the reader, cut by `--resume` (a copy kept, and
/// said); a bad line anywhere else is an error naming it.
#[test]
fn a_torn_last_line_is_cut_on_resume_and_a_bad_middle_line_is_an_error() {
    let dir = Dir::new();
    dir.cmd()
        .args(["practice", "--persona", "emotional", "--seed", "5"])
        .write_stdin("您好\n请问您的单号是多少？\n")
        .assert()
        .success();
    let path = jsonl(&dir.sessions_dir()).remove(0);
    let text = std::fs::read_to_string(&path).unwrap();
    // Drop the end line and leave half of a turn, cut inside a Chinese character.
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(r#""type":"end""#))
        .collect();
    let half = &kept[2].as_bytes()[..kept[2].len() / 2 + 1];
    let mut torn = kept[..2].join("\n").into_bytes();
    torn.push(b'\n');
    torn.extend_from_slice(half);
    std::fs::write(&path, &torn).unwrap();
    assert_eq!(transcript::read(&path).unwrap().turns.len(), 1);

    // The same half line in the middle of the file is an error naming line 3.
    let middle = dir.path().join("middle.jsonl");
    let mut bad = torn.clone();
    bad.push(b'\n');
    bad.extend_from_slice(kept[2].as_bytes());
    bad.push(b'\n');
    std::fs::write(&middle, bad).unwrap();
    let err = transcript::read(&middle).unwrap_err().to_string();
    assert!(err.contains("middle.jsonl:3:"), "{err}");

    let out = dir
        .cmd()
        .args(["practice", "--resume"])
        .arg(&path)
        .write_stdin("非常理解您的心情\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("最后一条记录没有写完"), "{stdout}");
    let copies: Vec<PathBuf> = std::fs::read_dir(dir.sessions_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".jsonl.torn-"))
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(std::fs::read(&copies[0]).unwrap(), half);
    let t = transcript::read(&path).unwrap();
    assert_eq!(t.turns.len(), 2);
    assert_eq!(t.turns[1].trainee, "非常理解您的心情");
    assert_eq!(card(&dir, &path)["replay"]["status"], "verified");
}
