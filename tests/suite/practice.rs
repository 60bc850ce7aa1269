//! `peilian practice` through a real pseudo-terminal, as a trainee types it: menus,
//! coach lines, commands, Ctrl-C and Ctrl-D, a kill mid-session and `--resume`; and
//! through a pipe, with hostile input.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Dir, pty, repo};
use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Session;
use expectrl::{ControlCode, Expect, Regex};
use peilian::transcript::{self, Transcript};

/// A good floppy-drive session that ends resolved (tests/data/scripts/emotional).
fn good_lines() -> Vec<String> {
    std::fs::read_to_string(repo("tests/data/scripts/emotional/good-1.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

const FORBIDDEN: &str = "公司的规定就是这样的";

fn spawn(dir: &Dir, args: &[&str]) -> Session {
    pty(dir, args, &[])
}

/// Practice through a pipe, set up as a terminal session would be.
fn piped(dir: &Dir, args: &[&str], input: impl Into<Vec<u8>>) -> std::process::Output {
    dir.cmd().args(args).write_stdin(input).output().unwrap()
}

fn sessions(dir: &Dir) -> PathBuf {
    dir.sessions_dir()
}

/// End with Ctrl-D: the scorecard, and a clean exit.
fn finish(p: &mut Session) -> Vec<u8> {
    p.send(ControlCode::EndOfTransmission).unwrap();
    let out = expect(p, "评分卡");
    assert_eq!(wait_exit(p), 0);
    out
}

/// The mood bar after a customer line.
const MOOD: &str = r"愤怒 [█░]+ \d+";

/// Wait for the customer's answer with its mood bar and then the next prompt (the line
/// editor is reading again, so keys such as Ctrl-C reach it rather than the terminal);
/// the anger shown.
fn answered(p: &mut Session) -> i32 {
    let found = p
        .expect(Regex(MOOD))
        .expect("a customer line with a mood bar");
    let anger = anger_in(found.get(0).unwrap());
    expect(p, "你：");
    anger
}

/// Say a line and wait for the answer; the anger shown.
fn say(p: &mut Session, line: &str) -> i32 {
    p.send_line(line).unwrap();
    answered(p)
}

/// The one transcript in the sessions dir.
fn only_transcript(dir: &Dir) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(sessions(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// The number after the last `愤怒 ███░░ ` bar in some output.
fn anger_in(out: &[u8]) -> i32 {
    let text = String::from_utf8_lossy(out);
    let at = text.rfind("愤怒 ").expect("a mood bar");
    text[at..]
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or_else(|| panic!("no anger number in {:?}", &text[at..]))
}

fn expect(p: &mut Session, what: &str) -> Vec<u8> {
    match p.expect(what) {
        Ok(found) => found
            .before()
            .iter()
            .chain(found.get(0).unwrap())
            .copied()
            .collect(),
        Err(e) => panic!("waiting for {what:?}: {e}"),
    }
}

fn wait_exit(p: &mut Session) -> i32 {
    match p.get_process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("did not exit normally: {other:?}"),
    }
}

/// A goodbye that closes the call once the customer has accepted.
const GOODBYE: &str = "\u{597D}\u{7684}\u{FF0C}\u{6709}\u{8FDB}\u{5C55}\u{6211}\u{7B2C}\u{4E00}\u{65F6}\u{95F4}\u{901A}\u{77E5}\u{60A8}\u{FF0C}\u{518D}\u{89C1}\u{3002}"; // 好的，有进展我第一时间通知您，再见。

#[test]
fn bare_command_shows_the_menus_and_asks_the_name_once() {
    let dir = Dir::new();
    let mut p = spawn(&dir, &["--seed", "1"]);
    expect(&mut p, "选择要练习的客户类型");
    expect(&mut p, "感情用事者");
    expect(&mut p, "请输入编号");
    p.send_line("9").unwrap();
    expect(&mut p, "请输入 1 到 6 之间的数字");
    p.send_line("1").unwrap();
    expect(&mut p, "选择场景");
    expect(&mut p, "请输入编号");
    p.send_line("2").unwrap();
    expect(&mut p, "选择难度");
    expect(&mut p, "请输入编号");
    p.send_line("").unwrap();
    expect(&mut p, "请输入你的名字");
    p.send_line("王小明").unwrap();
    expect(&mut p, "以后不再问");
    expect(&mut p, "难度 普通");
    expect(&mut p, "感情用事者：");
    answered(&mut p);
    finish(&mut p);
    let config = std::fs::read_to_string(dir.config_file()).unwrap();
    assert!(config.contains("trainee = \"王小明\""), "{config}");
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.header.trainee, "王小明");
    assert_eq!(t.header.scenario, "bill-shock");

    // The second time, the name is known.
    let mut p = spawn(&dir, &["--persona", "固执己见"]);
    expect(&mut p, "学员\u{FF1A}王小明");
    answered(&mut p);
    finish(&mut p);
}

#[test]
fn a_full_session_ends_resolved_with_scorecard_and_report() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &[
            "practice",
            "--persona",
            "emotional",
            "--trainee",
            "小李",
            "--seed",
            "5",
        ],
    );
    answered(&mut p);
    let lines = good_lines();
    let (last, before) = lines.split_last().unwrap();
    for (i, line) in before.iter().enumerate() {
        p.send_line(line).unwrap();
        if i == 0 {
            // Chinese input is echoed intact by the line editor.
            expect(&mut p, line);
        }
        answered(&mut p);
    }
    // Accepting does not end the call: the coach says so, and the trainee closes it.
    p.send_line(last).unwrap();
    expect(&mut p, "客户接受了方案");
    answered(&mut p);
    // Scored now, before the close, the matter is resolved (not an unfinished session
    // worth a quarter of the outcome).
    p.send_line("/score").unwrap();
    expect(&mut p, "评分卡");
    expect(&mut p, "· 问题解决 ·");
    expect(&mut p, "你：");
    p.send_line(GOODBYE).unwrap();
    expect(&mut p, "— 问题解决 —");
    expect(&mut p, "评分卡");
    expect(&mut p, "对话记录\u{FF1A}");
    expect(&mut p, "评分报告\u{FF1A}");
    assert_eq!(wait_exit(&mut p), 0);
    let path = only_transcript(&dir);
    let t = transcript::read(&path).unwrap();
    assert_eq!(t.end.unwrap().outcome, "resolved");
    let said: Vec<&str> = t.turns.iter().map(|t| t.trainee.as_str()).collect();
    let mut want: Vec<&str> = lines.iter().map(String::as_str).collect();
    want.push(GOODBYE);
    assert_eq!(said, want);
    assert!(path.with_extension("html").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "transcript readable by others: {mode:o}");
        let history = dir.path().join(".local/share/peilian/history/小李.txt");
        let mode = std::fs::metadata(&history).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "history readable by others: {mode:o}");
        assert!(
            std::fs::read_to_string(&history)
                .unwrap()
                .contains(&lines[0])
        );
    }
}

#[test]
fn a_forbidden_phrase_gets_a_coach_line_but_not_in_an_exam() {
    let dir = Dir::new();
    let args = [
        "--persona",
        "emotional",
        "--difficulty",
        "easy",
        "--trainee",
        "a",
        "--seed",
        "2",
    ];
    let mut p = spawn(&dir, &args);
    answered(&mut p);
    p.send_line(FORBIDDEN).unwrap();
    let out = expect(&mut p, "→ 试试\u{FF1A}「");
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("⚠ 禁语「规定就是这样」"), "{text}");
    answered(&mut p);
    p.send_line("/hint").unwrap();
    expect(&mut p, "应对建议");
    expect(&mut p, "你：");
    p.send_line("/quit").unwrap();
    expect(&mut p, "--resume");
    assert_eq!(wait_exit(&mut p), 0);

    let dir = Dir::new();
    let mut p = spawn(&dir, &[&args[..], &["--exam"]].concat());
    expect(&mut p, "考试模式");
    expect(&mut p, "感情用事者：");
    expect(&mut p, "你：");
    p.send_line(FORBIDDEN).unwrap();
    expect(&mut p, "感情用事者：");
    expect(&mut p, "你：");
    p.send_line("/hint").unwrap();
    let out = expect(&mut p, "考试模式下不能用 /hint");
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("⚠"), "{text}");
    assert!(
        !text.contains("愤怒 █") && !text.contains("愤怒 ░"),
        "{text}"
    );
    expect(&mut p, "你：");
    let out = finish(&mut p);
    assert!(!String::from_utf8_lossy(&out).contains("愤怒 █"));
}

#[test]
fn enter_at_the_scenario_and_difficulty_menus_takes_the_defaults() {
    let dir = Dir::new();
    let mut p = spawn(&dir, &["--trainee", "a", "--seed", "1"]);
    expect(&mut p, "请输入编号");
    p.send_line("1").unwrap();
    expect(&mut p, "选择场景（回车 = 第 1 个）");
    expect(&mut p, "请输入编号");
    p.send_line("").unwrap();
    expect(&mut p, "选择难度");
    expect(&mut p, "请输入编号");
    p.send_line("").unwrap();
    expect(&mut p, "〔电脑维修〕软驱不读盘");
    expect(&mut p, "难度 普通");
    answered(&mut p);
    finish(&mut p);
}

#[test]
fn an_exam_menu_names_the_types_without_their_handling_advice() {
    let dir = Dir::new();
    let mut p = spawn(&dir, &["--exam", "--trainee", "a"]);
    let out = expect(&mut p, "请输入编号");
    let menu = String::from_utf8_lossy(&out);
    assert!(menu.contains("感情用事者（emotional）"), "{menu}");
    assert!(!menu.contains("先让他发泄"), "{menu}");
    p.send(ControlCode::EndOfTransmission).unwrap();
    assert_eq!(wait_exit(&mut p), 0);

    let mut p = spawn(&dir, &["--trainee", "a"]);
    let out = expect(&mut p, "请输入编号");
    assert!(String::from_utf8_lossy(&out).contains("先让他发泄"));
    p.send(ControlCode::EndOfTransmission).unwrap();
    assert_eq!(wait_exit(&mut p), 0);
}

#[test]
fn undo_restores_the_mood_and_is_recorded() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &[
            "--persona",
            "emotional",
            "--difficulty",
            "easy",
            "--trainee",
            "a",
            "--seed",
            "4",
        ],
    );
    let before = answered(&mut p);
    let after = say(&mut p, FORBIDDEN);
    assert!(after > before, "a 禁语 should anger: {before} -> {after}");
    p.send_line("/mood").unwrap();
    expect(&mut p, "还剩");
    expect(&mut p, "你：");
    p.send_line("/undo").unwrap();
    expect(&mut p, "已收回第 1 轮");
    assert_eq!(answered(&mut p), before);
    p.send_line("/undo").unwrap();
    expect(&mut p, "还没有可以收回的话");
    expect(&mut p, "你：");
    p.send_line(&good_lines()[1]).unwrap();
    expect(&mut p, "✓ 复述确认 · 共情 · 道歉");
    answered(&mut p);
    finish(&mut p);
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.turns.len(), 1);
    assert_eq!(t.turns[0].trainee, good_lines()[1]);
    assert_eq!(t.end.unwrap().outcome, "unfinished");
}

#[test]
fn undo_after_the_customer_walks_out_reopens_the_session() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &["--persona", "emotional", "--trainee", "a", "--seed", "4"],
    );
    let before = answered(&mut p);
    p.send_line(FORBIDDEN).unwrap();
    expect(&mut p, "— 客户愤而离开 —");
    expect(&mut p, "输入 /undo 收回最后一句再试");
    p.send_line("/undo").unwrap();
    expect(&mut p, "已收回第 1 轮");
    assert_eq!(answered(&mut p), before);
    say(&mut p, &good_lines()[0]);
    finish(&mut p);
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.turns.len(), 1);
    assert_eq!(t.end.unwrap().outcome, "unfinished");
}

#[test]
fn ctrl_c_clears_the_line_and_twice_on_an_empty_line_leaves() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &["--persona", "emotional", "--trainee", "a", "--seed", "4"],
    );
    answered(&mut p);
    p.send("这句不要了").unwrap();
    expect(&mut p, "这句不要了");
    p.send(ControlCode::EndOfText).unwrap();
    say(&mut p, &good_lines()[0]);
    p.send(ControlCode::EndOfText).unwrap();
    expect(&mut p, "再按一次 Ctrl-C 离开");
    expect(&mut p, "你：");
    p.send(ControlCode::EndOfText).unwrap();
    expect(&mut p, "已保存\u{FF0C}没有结束");
    assert_eq!(wait_exit(&mut p), 0);
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.turns.len(), 1, "{:?}", t.turns);
    assert_eq!(t.turns[0].trainee, good_lines()[0]);
    assert!(
        t.end.is_none(),
        "leaving keeps the session open for --resume"
    );
}

#[test]
fn a_killed_session_resumes_with_its_mood_and_scores() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &["--persona", "emotional", "--trainee", "小周", "--seed", "8"],
    );
    answered(&mut p);
    let lines = good_lines();
    say(&mut p, &lines[0]);
    let anger = say(&mut p, &lines[1]);
    p.get_process_mut()
        .kill(expectrl::process::unix::Signal::SIGKILL)
        .unwrap();
    let _ = p.get_process().wait();
    let path = only_transcript(&dir);
    let t = transcript::read(&path).unwrap();
    assert_eq!(t.turns.len(), 2);
    assert!(t.end.is_none());

    // `score` reads the interrupted transcript as it is.
    let out = dir
        .cmd()
        .args(["score", "--format", "json"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let card: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(card["outcome"], "unfinished");
    assert_eq!(card["turns"], 2);

    // `--resume` without a file finds it, shows the last line with its mood, and goes on.
    let mut p = spawn(&dir, &["practice", "--resume", "--trainee", "小周"]);
    expect(&mut p, "已进行 2 轮");
    assert_eq!(answered(&mut p), anger);
    let (last, middle) = lines[2..].split_last().unwrap();
    for line in middle {
        say(&mut p, line);
    }
    say(&mut p, last);
    p.send_line(GOODBYE).unwrap();
    expect(&mut p, "— 问题解决 —");
    expect(&mut p, "评分卡");
    assert_eq!(wait_exit(&mut p), 0);
    let t = transcript::read(&path).unwrap();
    assert_eq!(t.turns.len(), lines.len() + 1);
    assert_eq!(t.end.unwrap().outcome, "resolved");

    // A finished session cannot be resumed; it says what to do instead.
    let mut p = spawn(&dir, &["practice", "--resume", path.to_str().unwrap()]);
    expect(&mut p, "--retry");
    assert_eq!(wait_exit(&mut p), 2);
}

#[test]
fn retry_reopens_the_worst_turn_with_that_moments_mood() {
    let dir = Dir::new();
    let lines = good_lines();
    let answers = dir.write(
        "answers.txt",
        format!("{}\n{FORBIDDEN}\n{}\n", lines[0], lines[1]),
    );
    let recorded = dir.path().join("old.jsonl");
    let mut run = dir.cmd();
    run.args([
        "run",
        "--persona",
        "emotional",
        "--difficulty",
        "easy",
        "--seed",
        "3",
    ])
    .arg("--answers")
    .arg(&answers)
    .arg("--transcript")
    .arg(&recorded);
    run.assert().success();
    let old = transcript::read(&recorded).unwrap();

    let mut p = spawn(
        &dir,
        &[
            "practice",
            "--retry",
            recorded.to_str().unwrap(),
            "--trainee",
            "b",
        ],
    );
    expect(&mut p, "从第 2 轮重练");
    let found = p.expect(Regex(MOOD)).unwrap();
    assert_eq!(anger_in(found.get(0).unwrap()), old.turns[0].anger);
    let shown = expect(&mut p, "你：");
    let text = String::from_utf8_lossy(&shown);
    assert!(text.contains(FORBIDDEN), "shows what was said: {text}");
    say(&mut p, &lines[1]);
    finish(&mut p);
    let new = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(new.header.retry_of.as_ref().unwrap().turn, 2);
    assert_eq!(new.header.difficulty, "easy");
    assert_eq!(new.turns[0], old.turns[0]);
    assert_eq!(new.turns[1].trainee, lines[1]);
}

#[test]
fn a_multi_line_paste_is_one_reply() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &["--persona", "emotional", "--trainee", "a", "--seed", "4"],
    );
    answered(&mut p);
    // Bracketed paste, as a terminal sends it.
    p.send("\x1b[200~刘先生,您别急\r\n有什么话您慢慢讲\x1b[201~")
        .unwrap();
    p.send("\r").unwrap();
    answered(&mut p);
    finish(&mut p);
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.turns.len(), 1, "{:?}", t.turns);
    assert_eq!(t.turns[0].trainee, "刘先生,您别急 有什么话您慢慢讲");
}

#[test]
fn piped_input_plays_like_run_and_survives_hostile_lines() {
    let dir = Dir::new();
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice("\n\n   \n".as_bytes());
    input.extend_from_slice(b"\xff\xfe bad bytes \xe4\xbd\n");
    input.extend_from_slice(
        "您好\u{1b}[31m,\u{7}请问\u{1b}]0;title\u{7}有什么可以帮您?\n".as_bytes(),
    );
    input.extend_from_slice("啊".repeat(1 << 20).as_bytes());
    input.push(b'\n');
    input.extend_from_slice(b"/mood\n/undo\n/score\n/nonsense\n");
    input.extend_from_slice(format!("{FORBIDDEN}\n").as_bytes());
    let out = piped(
        &dir,
        &["practice", "--persona", "emotional", "--seed", "1"],
        input,
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("不是有效的 UTF-8"), "{stderr}");
    assert!(stderr.contains("只取前 2000 个"), "{stderr}");
    assert!(stdout.contains("已收回第 3 轮"), "{stdout}");
    assert!(stdout.contains("没有命令 /nonsense"), "{stdout}");
    assert!(stdout.contains("⚠ 禁语"), "{stdout}");
    assert!(stdout.contains("评分卡"));
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'));
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    let said: Vec<&str> = t.turns.iter().map(|t| t.trainee.as_str()).collect();
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said[0].contains("bad bytes"));
    assert_eq!(said[1], "您好,请问有什么可以帮您?");
    assert_eq!(said[2], FORBIDDEN);
    // Through a pipe there is no one to offer /undo to: the walk-out stands.
    assert_eq!(t.end.unwrap().outcome, "walked_out");
}

#[test]
fn a_remedy_too_early_names_the_step_the_customer_is_waiting_for() {
    let dir = Dir::new();
    let out = piped(
        &dir,
        &["practice", "--persona", "emotional", "--seed", "3"],
        "我们给您免费更换软驱\n",
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "⚠ 急于下结论\u{FF1A}客户还在等「先让我把话说完\u{FF0C}有人真正理解我的难处」"
        ),
        "{stdout}"
    );
}

#[test]
fn a_pipe_cannot_answer_menus() {
    let dir = Dir::new();
    let out = piped(&dir, &[], "您好\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--persona"));
    assert!(!Path::new(&sessions(&dir)).exists());
}

#[test]
fn hostile_terminal_input_neither_panics_nor_corrupts_the_transcript() {
    let dir = Dir::new();
    let mut p = spawn(
        &dir,
        &["--persona", "emotional", "--trainee", "a", "--seed", "4"],
    );
    answered(&mut p);
    // Invalid UTF-8 is refused with a warning; empty lines are ignored; control
    // characters inside a reply are the editor's keys (Ctrl-A: to the start) or dropped.
    p.send(b"\xff\xfe").unwrap();
    expect(&mut p, "读取输入出错");
    expect(&mut p, "你：");
    for empty in ["\r", "   \r"] {
        p.send(empty).unwrap();
        // The editor ends bracketed paste after a line and turns it on again when it
        // reads the next: only then is typed text its own (typeahead is not kept).
        expect(&mut p, "\x1b[?2004l");
        expect(&mut p, "\x1b[?2004h");
    }
    p.send("您好\u{7}\u{1}请问").unwrap();
    p.send("\r").unwrap();
    answered(&mut p);
    // A large paste.
    let big = "好".repeat(50_000);
    p.send(format!("\x1b[200~{big}\x1b[201~\r")).unwrap();
    answered(&mut p);
    finish(&mut p);
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(
        t.turns.len(),
        2,
        "{:?}",
        t.turns.iter().map(|t| &t.trainee).collect::<Vec<_>>()
    );
    assert_eq!(t.turns[0].trainee, "请问您好");
    assert!(!t.turns[0].trainee.contains(['\u{7}', '\u{1}']));
    assert_eq!(t.turns[1].trainee.chars().count(), 2000);
}

#[test]
fn restart_and_save_keep_every_attempt() {
    let dir = Dir::new();
    let lines = good_lines();
    let input = format!(
        "{}\n/save copy.jsonl\n/restart\n{}\n/help\n",
        lines[1], lines[0]
    );
    let out = piped(
        &dir,
        &["practice", "--persona", "emotional", "--seed", "1"],
        input,
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("已另存到 copy.jsonl"), "{stdout}");
    assert!(
        stdout.contains("/undo") && stdout.contains("/restart"),
        "/help lists commands"
    );
    let copy = transcript::read(&dir.path().join("copy.jsonl")).unwrap();
    assert_eq!(copy.turns.len(), 1);
    assert_eq!(copy.turns[0].trainee, lines[1]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(sessions(&dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "a restart starts a new file: {files:?}");
    let all: Vec<Transcript> = files.iter().map(|f| transcript::read(f).unwrap()).collect();
    let first = all.iter().find(|t| t.turns[0].trainee == lines[1]).unwrap();
    assert_eq!(first.end.as_ref().unwrap().reason, "学员重新开始");
    let second = all.iter().find(|t| t.turns[0].trainee == lines[0]).unwrap();
    assert_eq!(second.end.as_ref().unwrap().outcome, "unfinished");
}

#[test]
fn a_closed_stdout_does_not_stop_the_session_or_lose_the_transcript() {
    use std::io::{BufRead, BufReader, Write};
    let dir = Dir::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"))
        .args(["practice", "--persona", "emotional", "--seed", "1"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".config"))
        .env("XDG_DATA_HOME", dir.path().join(".local/share"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first line, then close stdout as `| head -1` would.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let lines = good_lines();
    let mut stdin = child.stdin.take().unwrap();
    for l in &lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.turns.len(), lines.len());
    assert_eq!(t.end.unwrap().outcome, "resolved");
}

/// Fifty trainees starting at once into one shared sessions folder: fifty transcripts,
/// each whole and scorable. The name used to be chosen with `exists()` and opened with
/// truncate, so starts in the same second overwrote each other.
#[test]
fn simultaneous_starts_never_share_a_transcript() {
    let dir = Dir::new();
    let children: Vec<_> = (0..50)
        .map(|i| {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"));
            c.args(["practice", "--persona", "emotional", "--trainee"])
                .arg(format!("学员{i}"))
                .arg("--sessions-dir")
                .arg(dir.sessions_dir())
                .env("HOME", dir.path())
                .env("XDG_CONFIG_HOME", dir.path())
                .env("XDG_DATA_HOME", dir.path())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            let mut child = c.spawn().unwrap();
            use std::io::Write as _;
            writeln!(child.stdin.take().unwrap(), "您好，您慢慢说，我听着").unwrap();
            child
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let files: Vec<PathBuf> = std::fs::read_dir(dir.sessions_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(files.len(), 50, "{files:?}");
    let mut trainees: Vec<String> = files
        .iter()
        .map(|f| {
            let t = transcript::read(f).unwrap();
            assert_eq!(t.turns.len(), 1, "{}", f.display());
            t.header.trainee
        })
        .collect();
    trainees.sort();
    trainees.dedup();
    assert_eq!(trainees.len(), 50, "every trainee has their own file");
}

/// The coach line under a turn and the scorecard read the same reading of it: every
/// warning the coach gave is a deduction on the card, quoting the same words, and every
/// 禁语 deduction on the card was warned about when it was said.
#[test]
fn coach_warnings_and_scorecard_deductions_agree() {
    let dir = Dir::new();
    let input = "\u{60A8}\u{597D}\u{FF0C}\u{8BF7}\u{95EE}\u{6709}\u{4EC0}\u{4E48}\u{53EF}\u{4EE5}\u{5E2E}\u{60A8}\u{FF1F}\n\
                 \u{516C}\u{53F8}\u{7684}\u{89C4}\u{5B9A}\u{5C31}\u{662F}\u{8FD9}\u{6837}\u{7684}\u{FF0C}\u{60A8}\u{7406}\u{89E3}\u{4E00}\u{4E0B}\u{3002}\n\
                 \u{8FD9}\u{79CD}\u{95EE}\u{9898}\u{6211}\u{4EEC}\u{89C1}\u{5F97}\u{591A}\u{4E86}\u{3002}\n";
    // 您好，请问有什么可以帮您？ / 公司的规定就是这样的，您理解一下。 / 这种问题我们见得多了。
    let out = piped(
        &dir,
        &["practice", "--persona", "emotional", "--seed", "1"],
        input,
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let quote = |line: &str| -> Option<String> {
        let a = line.find('「')? + '「'.len_utf8();
        let b = a + line[a..].find('」')?;
        Some(line[a..b].to_string())
    };
    let warned: Vec<String> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("⚠ "))
        .filter_map(quote)
        .collect();
    let deducted: Vec<String> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("✗ [禁语与禁止法则]"))
        .filter_map(quote)
        .collect();
    assert_eq!(warned.len(), 2, "{stdout}");
    for w in &warned {
        assert!(
            deducted.contains(w),
            "warned 「{w}」 but the card has {deducted:?}"
        );
    }
    for d in &deducted {
        assert!(
            warned.contains(d),
            "the card deducts 「{d}」 the coach never warned of"
        );
    }
}

/// A full disk mid-session (the transcript's third write fails): practice goes on in
/// memory and says so once, the transcript stays readable up to the failure, the end
/// saves the whole session once more to the trainee's `/save` copy and names it, and
/// the exit is 2 (it was 0: a lost transcript looked like a good session).
#[test]
fn a_transcript_that_cannot_be_written_exits_2_and_names_the_saved_copy() {
    let dir = Dir::new();
    let lines = good_lines();
    let input = format!(
        "{}\n{}\n/save copy.jsonl\n{}\n",
        lines[0], lines[1], lines[2]
    );
    let out = dir
        .cmd()
        .args(["practice", "--persona", "emotional", "--seed", "1"])
        .args(["--trainee", "小王"])
        .env("PEILIAN_TEST_FAIL_WRITE_AFTER", "2")
        .write_stdin(input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("写对话记录失败").count(), 1, "{stderr}");
    assert!(stderr.contains("os error 28"), "{stderr}");
    assert!(stderr.contains("不完整"), "{stderr}");
    assert!(stderr.contains("完整的对话已另存到 copy.jsonl"), "{stderr}");
    assert!(stdout.contains("评分卡"), "the scorecard is still shown");

    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert_eq!(t.turns.len(), 1, "whole lines up to the failure");
    assert!(t.end.is_none());
    let copy = transcript::read(&dir.path().join("copy.jsonl")).unwrap();
    assert_eq!(copy.turns.len(), 3, "the copy holds the whole session");
    assert_eq!(copy.turns[2].trainee, lines[2]);
    assert!(copy.end.is_some());
}

/// With no `/save`, the end says nothing was kept after the failure; exit 2.
#[test]
fn a_lost_transcript_without_a_copy_says_so() {
    let dir = Dir::new();
    let lines = good_lines();
    let out = dir
        .cmd()
        .args(["practice", "--persona", "emotional", "--seed", "1"])
        .args(["--trainee", "小王"])
        .env("PEILIAN_TEST_FAIL_WRITE_AFTER", "1")
        .write_stdin(format!("{}\n", lines[0]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("没有用 /save 另存过"), "{stderr}");
    let t = transcript::read(&only_transcript(&dir)).unwrap();
    assert!(t.turns.is_empty(), "the header only");
}

/// `/save` to a file the session did not write (another trainee's copy in a shared
/// folder) keeps that file and saves beside it, saying where; saving the same name
/// again replaces the session's own copy.
#[test]
fn save_never_replaces_a_file_it_did_not_write() {
    let dir = Dir::new();
    dir.write("copy.jsonl", "别人的记录\n");
    let lines = good_lines();
    let input = format!(
        "{}\n/save copy.jsonl\n{}\n/save copy.jsonl\n",
        lines[0], lines[1]
    );
    let out = piped(
        &dir,
        &["practice", "--persona", "emotional", "--seed", "1"],
        input,
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("copy.jsonl 已经有别的文件\u{FF0C}没有覆盖它\u{FF1B}已另存到 copy-2.jsonl"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("copy.jsonl")).unwrap(),
        "别人的记录\n"
    );
    let copy = transcript::read(&dir.path().join("copy-2.jsonl")).unwrap();
    assert_eq!(
        copy.turns.len(),
        2,
        "the second /save replaced the first copy"
    );
    assert!(!dir.path().join("copy-3.jsonl").exists());
}

/// A disk already full when the session starts: practice says so and leaves no empty
/// transcript behind for history and score to trip on.
#[test]
fn a_disk_full_at_the_start_leaves_no_empty_transcript() {
    let dir = Dir::new();
    let out = dir
        .cmd()
        .args(["practice", "--persona", "emotional", "--seed", "1"])
        .args(["--trainee", "小王"])
        .env("PEILIAN_TEST_FAIL_WRITE_AFTER", "0")
        .write_stdin("您好\n")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<PathBuf> = std::fs::read_dir(sessions(&dir))
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(
        left.iter()
            .all(|p| p.extension().is_none_or(|x| x != "jsonl")),
        "{left:?}"
    );
}
