//! Practice: the trainee's front door. A read–eval–print loop over one session: the
//! trainee types replies or slash commands, the customer answers with a mood bar and
//! the coach adds one line; every turn is on disk before the next prompt, and the end
//! shows the scorecard.
//!
//! The loop reads from an [`input::LineSource`], so a terminal (rustyline) and a pipe play
//! the same session; setting up (menus, resume, retry) lives in `cli::practice_cmd`.

pub mod commands;
pub mod input;
mod live;
pub mod view;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::engine::{Engine, Outcome};
use crate::llm::LlmVoice;
use crate::persona::PersonaSource;
use crate::score::Scorecard;
use crate::score::html::Html;
use crate::score::render::{Render, Text};
use crate::session::{Options, Record, Session};
use crate::transcript::{self, Header, RetryRef, Transcript, Writer};
use crate::ui::outln;
use crate::ui::{self, Style};
use commands::{COMMANDS, Command, Parsed};
use input::{Input, LineSource};

use crate::session::MAX_TURN_CHARS;

/// Everything a practice session needs besides its input.
pub struct Practice<'a> {
    pub engine: &'a Engine<'a>,
    /// The model voicing the customer; offline when `None`.
    pub llm: Option<&'a LlmVoice>,
    pub source: &'a PersonaSource,
    pub trainee: String,
    pub exam: bool,
    pub seed: u64,
    pub sessions_dir: PathBuf,
}

impl Practice<'_> {
    /// The mode new transcripts record.
    fn mode(&self) -> transcript::Mode {
        if self.exam {
            transcript::Mode::Exam
        } else {
            transcript::Mode::Practice
        }
    }
}

/// How the session begins.
pub enum Start {
    Fresh,
    /// Go on with an interrupted session, appending to its file.
    Resume {
        path: PathBuf,
        transcript: Transcript,
    },
    /// Reopen a session at `turn`, in a new file, with the state of that moment.
    Retry {
        path: PathBuf,
        transcript: Transcript,
        turn: u32,
    },
}

/// What the loop ended with.
enum Leave {
    /// The session has an end line; show the scorecard.
    Finished,
    /// The trainee left mid-way; the file stays open for `--resume`.
    Left,
}

/// The name a new transcript starts from: `20261125-170102-emotional-floppy`; the
/// writer adds `-2`, `-3` … when another session took it first (see
/// [`Writer::create_new`]).
pub fn transcript_base(persona: &str, scenario: &str) -> String {
    let now = transcript::now_rfc3339();
    let stamp: String = now
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .take(15)
        .collect::<String>()
        .replace('T', "-");
    format!("{stamp}-{persona}-{scenario}")
}

/// Run a practice session to its end (or until the trainee leaves); the exit code.
pub fn run(p: &Practice<'_>, start: Start, input: &mut dyn LineSource) -> anyhow::Result<u8> {
    let st = Style::stdout();
    outln!("{}\n", view::brief(&st, p.engine, &p.trainee, p.exam));
    let mut session = begin(p, start, p.seed, None, &st)?;
    let mut saves = Saves::default();
    let mut last_interrupted = false;
    let leave = loop {
        if session.outcome().is_some() {
            if offer_undo(p, &mut session, input, &st)? {
                continue;
            }
            break Leave::Finished;
        }
        let line = match input.read("你：") {
            Input::Eof => {
                recorded(&mut session, |s| s.finish_unfinished("学员结束了练习"));
                break Leave::Finished;
            }
            Input::Interrupted if last_interrupted => break Leave::Left,
            Input::Interrupted => {
                last_interrupted = true;
                outln!(
                    "{}",
                    st.dim("（再按一次 Ctrl-C 离开，可以以后 --resume 继续；Ctrl-D 结束并评分）")
                );
                continue;
            }
            Input::Line(l) => l,
        };
        last_interrupted = false;
        if line.trim().is_empty() {
            continue;
        }
        match commands::parse(&line) {
            Some(Parsed::Unknown(name)) => {
                outln!("没有命令 {name}；/help 看全部命令");
                continue;
            }
            Some(Parsed::MissingArg(name)) => {
                outln!("{name} 需要一个参数，例如 {name} 我的练习.jsonl");
                continue;
            }
            Some(Parsed::Command(cmd)) => {
                if p.exam && !commands::spec(&cmd).in_exam {
                    outln!("考试模式下不能用 {}", commands::spec(&cmd).name);
                    continue;
                }
                match command(p, &mut session, cmd, &mut saves, &st)? {
                    Flow::Stay => continue,
                    Flow::Leave => break Leave::Left,
                    Flow::Restart => {
                        recorded(&mut session, |s| s.finish_restarted());
                        saves.lost |= lost(&session, &saves) != 0;
                        if let Some(path) = session.transcript_path() {
                            outln!("{}", st.dim(&format!("上一次的记录：{}", path.display())));
                        }
                        let (seed, restart_of) = session.restart_options();
                        session = begin(p, Start::Fresh, seed, restart_of, &st)?;
                        saves.copy = None;
                        continue;
                    }
                }
            }
            None => {}
        }
        input.remember(&line);
        reply(
            p,
            &mut session,
            &normalise_reply(&line),
            input.interactive(),
            &st,
        );
    };
    match leave {
        Leave::Left if session.write_failed().is_none() => {
            if let Some(path) = session.transcript_path() {
                outln!(
                    "已保存，没有结束：{}\n继续练习：peilian practice --resume {}",
                    path.display(),
                    path.display()
                );
            }
        }
        Leave::Left => {}
        Leave::Finished => finish(p, &session, &st),
    }
    let code = lost(&session, &saves);
    Ok(if saves.lost { 2 } else { code })
}

/// Run a step that writes the transcript. A failed write (a full disk) does not stop
/// practice: the session goes on in memory, the failure is said once when it happens,
/// and again at the end, which exits 2.
fn recorded<T>(
    session: &mut Session<'_>,
    step: impl FnOnce(&mut Session<'_>) -> std::io::Result<T>,
) -> Option<T> {
    let first = session.write_failed().is_none();
    match step(session) {
        Ok(v) => Some(v),
        Err(e) => {
            if first {
                write_failed(&e);
            }
            None
        }
    }
}

fn write_failed(e: &std::io::Error) {
    eprintln!(
        "错误：写对话记录失败：{e}。练习继续，但之后的对话只在内存里；可以用 /save 路径 另存一份。"
    );
}

/// The `/save` copies of the session, and whether an earlier session of this run
/// (before a `/restart`) lost part of its transcript.
#[derive(Default)]
struct Saves {
    /// The last copy this session saved, as (the path asked for, the path written):
    /// a later `/save` of the same name replaces it, and it is saved once more at the
    /// end when the transcript could not be written.
    copy: Option<(PathBuf, PathBuf)>,
    lost: bool,
}

/// The end of a session whose transcript could not be written whole: say so, save
/// the whole session once more to the trainee's last `/save` copy (if any) and say
/// where it is. The exit code: 2 when the transcript is incomplete, else 0.
fn lost(session: &Session<'_>, saves: &Saves) -> u8 {
    let (Some(why), Some(path)) = (session.write_failed(), session.transcript_path()) else {
        return 0;
    };
    eprintln!(
        "错误：对话记录 {} 不完整：写到一半失败了（{why}），里面只有失败之前的对话。",
        path.display()
    );
    let text = transcript::to_jsonl(&session.transcript());
    match saves.copy.clone() {
        Some((_, copy)) => match crate::files::write_atomic(&copy, text.as_bytes()) {
            Ok(()) => eprintln!("完整的对话已另存到 {}", copy.display()),
            Err(e) => eprintln!(
                "错误：无法把完整的对话另存到 {}：{e}；最后一次 /save 之后的对话没有保存。",
                copy.display()
            ),
        },
        None => eprintln!("这场练习没有用 /save 另存过，失败之后的对话没有保存。"),
    }
    2
}

/// Play one reply: the coach's line, then the customer's answer as it is voiced.
fn reply(p: &Practice<'_>, session: &mut Session<'_>, text: &str, interactive: bool, st: &Style) {
    if !interactive {
        outln!("你：{}", ui::sanitize(text));
    }
    let mut coach = |t: &crate::transcript::TurnRecord, earlier: &[_]| {
        if !p.exam
            && let Some(c) = view::coach(st, p.engine, earlier, t)
        {
            outln!("{c}");
        }
    };
    let name = &p.engine.persona.name;
    let failed_before = session.write_failed().is_some();
    let (said, shown) = live::speak(p.llm.is_some(), st, name, &mut coach, |live| {
        session.say_live(text, live).map(|t| t.anger)
    });
    let anger = match said {
        Ok(a) => a,
        Err(e) => {
            // The turn is in memory; /save can still keep it elsewhere.
            if !failed_before {
                write_failed(&e);
            }
            session.turns().last().map_or(0, |t| t.anger)
        }
    };
    let last = session.turns().last();
    shown.finish(
        last.and_then(|t| t.voice.as_ref()),
        (!session.streamed()).then(|| last.map_or("", |t| t.customer.as_str())),
        (!p.exam).then_some(anger),
    );
}

/// A reply as one line (see [`crate::session::normalise_reply`]), warning on stderr
/// when an over-long paste was cut.
pub fn normalise_reply(line: &str) -> String {
    let reply = crate::session::normalise_reply(line);
    if let Some(n) = reply.cut_from {
        eprintln!("警告：这句话有 {n} 个字，只取前 {MAX_TURN_CHARS} 个");
    }
    reply.text
}

/// Open the session: a fresh one in a new file (`restart_of` names the session a
/// `/restart` ended), an interrupted one where it stopped, or a scored one at the turn
/// to try again.
fn begin<'a>(
    p: &Practice<'a>,
    start: Start,
    seed: u64,
    restart_of: Option<String>,
    st: &Style,
) -> anyhow::Result<Session<'a>> {
    let engine = p.engine;
    let name = &engine.persona.name;
    let session = match start {
        Start::Fresh => {
            let opts = Options {
                seed,
                trainee: p.trainee.clone(),
                transcript: Record::New {
                    dir: p.sessions_dir.clone(),
                    base: transcript_base(&engine.persona.id, &engine.scenario.id),
                },
                mode: p.mode(),
                restart_of,
                via: None,
                no_undo: false,
            };
            let (s, shown) = live::speak(p.llm.is_some(), st, name, &mut |_, _| {}, |live| {
                Session::start_voiced(engine, p.source, &opts, p.llm, live)
            });
            let s =
                s.with_context(|| format!("无法在 {} 里创建对话记录", p.sessions_dir.display()))?;
            shown.finish(
                s.header().opening_voice.as_ref(),
                (!s.streamed()).then(|| s.opening()),
                (!p.exam).then_some(s.header().initial.anger),
            );
            s
        }
        Start::Resume { path, transcript } => {
            if transcript.end.is_some() {
                anyhow::bail!(
                    "{} 这场练习已经结束了；想重练其中一轮请用 peilian practice --retry {}",
                    path.display(),
                    path.display()
                );
            }
            let (mut s, replayed, torn) = Session::resume(engine, &path, transcript)
                .with_context(|| format!("无法续写对话记录 {}", path.display()))?;
            if let Some(torn) = torn {
                outln!(
                    "{}",
                    st.dim(&format!(
                        "上次中断时最后一条记录没有写完（{} 字节），已从记录里去掉，原样保存在 {}。",
                        torn.bytes,
                        torn.copy.display()
                    ))
                );
            }
            s.set_llm(p.llm);
            warn_drift(replayed.drifted);
            outln!(
                "{}",
                st.dim(&format!(
                    "继续 {} 的练习（已进行 {} 轮）。",
                    path.display(),
                    replayed.turns
                ))
            );
            show_last(st, name, &s, p.exam);
            s
        }
        Start::Retry {
            path,
            transcript,
            turn,
        } => {
            let keep = &transcript.turns[..(turn as usize - 1)];
            let mut header: Header = transcript.header.clone();
            header.started_at = transcript::now_rfc3339();
            header.trainee = p.trainee.clone();
            header.retry_of = Some(RetryRef {
                transcript: path.display().to_string(),
                turn,
            });
            header.restart_of = None;
            header.mode = Some(p.mode());
            let base = transcript_base(&header.persona.id, &header.scenario);
            let mut writer = Writer::create_new(&p.sessions_dir, &base, &header)
                .with_context(|| format!("无法在 {} 里创建对话记录", p.sessions_dir.display()))?;
            for t in keep {
                writer.turn(t).context("写对话记录失败")?;
            }
            let (mut s, replayed) = Session::replay(engine, header, keep, Some(writer));
            s.set_llm(p.llm);
            warn_drift(replayed.drifted);
            let original = &transcript.turns[turn as usize - 1];
            outln!(
                "{}",
                st.bold(&format!(
                    "从第 {turn} 轮重练（原记录 {}）。",
                    path.display()
                ))
            );
            show_last(st, name, &s, p.exam);
            outln!(
                "{}",
                st.dim(&format!(
                    "你当时说的是：「{}」。这次换个说法试试。",
                    view::short(&original.trainee)
                ))
            );
            s
        }
    };
    Ok(session)
}

fn warn_drift(drifted: bool) {
    if drifted {
        eprintln!(
            "警告：客户画像或规则文件和录制时不同，客户情绪按现在的文件重新计算，可能与记录中的数字不同"
        );
    }
}

/// The customer's last line, so a resumed or retried session starts where the trainee
/// left off.
fn show_last(st: &Style, name: &str, s: &Session<'_>, exam: bool) {
    let (text, anger) = match s.turns().last() {
        Some(t) => (t.customer.as_str(), t.anger),
        None => (s.opening(), s.header().initial.anger),
    };
    outln!(
        "{}",
        view::customer(st, name, text, (!exam).then_some(anger))
    );
}

/// After the customer walks out or loses patience, a practising trainee may take the
/// last line back once more instead of going straight to the scorecard. True when the
/// turn was undone and the session goes on.
fn offer_undo(
    p: &Practice<'_>,
    session: &mut Session<'_>,
    input: &mut dyn LineSource,
    st: &Style,
) -> anyhow::Result<bool> {
    let outcome = session.outcome().expect("ended");
    outln!("\n{}", st.bold(&format!("— {} —", outcome.label())));
    if p.exam || !input.interactive() || outcome == Outcome::Resolved {
        return Ok(false);
    }
    outln!(
        "{}",
        st.dim("输入 /undo 收回最后一句再试；直接回车看评分卡。")
    );
    match input.read("你：") {
        Input::Line(l) if matches!(commands::parse(&l), Some(Parsed::Command(Command::Undo))) => {
            undo(p, session, st)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// What the loop does after a command.
enum Flow {
    Stay,
    Leave,
    Restart,
}

fn command(
    p: &Practice<'_>,
    session: &mut Session<'_>,
    cmd: Command,
    saves: &mut Saves,
    st: &Style,
) -> anyhow::Result<Flow> {
    match cmd {
        Command::Help => {
            for c in &COMMANDS {
                if p.exam && !c.in_exam {
                    continue;
                }
                let head = if c.arg.is_empty() {
                    c.name.to_string()
                } else {
                    format!("{} {}", c.name, c.arg)
                };
                let pad = 12usize.saturating_sub(ui::width(&head));
                outln!("  {head}{}{}", " ".repeat(pad), c.help);
            }
            outln!(
                "  {}",
                st.dim("Ctrl-C 清空当前输入（空行上连按两次离开）；Ctrl-D 结束并评分")
            );
        }
        Command::Hint => outln!("{}", view::hint(p.engine)),
        Command::Mood => outln!("{}", view::mood(st, p.engine, session.state())),
        Command::Score => {
            let card = scorecard(p, session, "（练习中）");
            outln!("{}", Text { style: *st }.render(&card));
        }
        Command::Undo => undo(p, session, st)?,
        Command::Restart => return Ok(Flow::Restart),
        Command::Save(path) => {
            let path = PathBuf::from(path);
            let text = crate::transcript::to_jsonl(&session.transcript());
            match save_copy(&path, text.as_bytes(), saves.copy.as_ref()) {
                Ok(to) => {
                    if to == path {
                        outln!("已另存到 {}", to.display());
                    } else {
                        outln!(
                            "{} 已经有别的文件，没有覆盖它；已另存到 {}",
                            path.display(),
                            to.display()
                        );
                    }
                    saves.copy = Some((path, to));
                }
                Err(e) => outln!("无法保存到 {}：{e}", path.display()),
            }
        }
        Command::Quit => return Ok(Flow::Leave),
    }
    Ok(Flow::Stay)
}

fn undo(p: &Practice<'_>, session: &mut Session<'_>, st: &Style) -> anyhow::Result<()> {
    // The turn is taken back in memory even when the transcript cannot record it.
    let last = session.turns().last().cloned();
    recorded(session, |s| s.undo());
    match last {
        None => outln!("还没有可以收回的话。"),
        Some(t) => {
            outln!("已收回第 {} 轮：「{}」", t.n, view::short(&t.trainee));
            let anger = session.state().anger_i();
            let name = &p.engine.persona.name;
            let last = session
                .turns()
                .last()
                .map_or(session.opening(), |t| t.customer.as_str())
                .to_string();
            outln!("{}", view::customer(st, name, &last, Some(anger)));
        }
    }
    Ok(())
}

/// The scorecard of the session as it stands.
fn scorecard(p: &Practice<'_>, session: &Session<'_>, name: &str) -> Scorecard {
    session.scorecard(p.source, name)
}

/// Save a copy of the session where the trainee asked (`/save`): the session's own
/// earlier copy is replaced, but a file it did not write — another trainee's copy in a
/// shared folder — never is; the copy then goes beside it under the next free name.
/// `own` is the session's last copy, as (asked for, written). The path written.
fn save_copy(
    path: &Path,
    text: &[u8],
    own: Option<&(PathBuf, PathBuf)>,
) -> std::io::Result<PathBuf> {
    match own {
        Some((asked, written)) if asked == path => {
            crate::files::write_atomic(written, text)?;
            Ok(written.clone())
        }
        _ => crate::files::write_new(path, text),
    }
}

/// The end: the scorecard, its HTML report beside the transcript, and both paths.
fn finish(p: &Practice<'_>, session: &Session<'_>, st: &Style) {
    let path = session.transcript_path().map(Path::to_path_buf);
    let label = path
        .as_deref()
        .map_or_else(String::new, |p| p.display().to_string());
    let card = scorecard(p, session, &label);
    outln!("\n{}", Text { style: *st }.render(&card));
    if let Some(path) = path {
        outln!("对话记录：{}", path.display());
        let html = path.with_extension("html");
        match crate::files::write_atomic(&html, Html.render(&card).as_bytes()) {
            Ok(()) => outln!("评分报告：{}", html.display()),
            Err(e) => eprintln!("警告：无法写评分报告 {}：{e}", html.display()),
        }
    }
}
