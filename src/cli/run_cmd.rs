//! `peilian run`: a scripted session. The trainee's lines come from a file (or stdin),
//! one per line; the customer answers each until the session ends or the lines run out.

use std::fs::File;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::json;

use super::Context;
use crate::engine::Engine;
use crate::llm::LlmVoice;
use crate::persona::{Catalog, Entry, Scenario};
use crate::rubric::Analyser;
use crate::script;
use crate::session::{Live, Options, Record, Session};
use crate::transcript::VoiceMark;
use crate::ui::{self, Style};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// 客户类型：编号、名称或别名。Persona id, name or alias.
    #[arg(long)]
    pub persona: String,
    /// 场景编号（默认该客户的第一个场景）。Scenario id; the persona's first by default.
    #[arg(long)]
    pub scenario: Option<String>,
    /// 难度。Difficulty.
    #[arg(long, default_value = "normal", value_parser = crate::persona::LEVELS)]
    pub difficulty: String,
    /// 学员台词文件，每行一句；`-` 表示标准输入。空行和 # 开头的行跳过。Trainee lines, one per line; `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub answers: PathBuf,
    /// 随机种子：同一种子、同样的台词，得到同样的对话。Seed; same seed and lines, same session.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// 把对话记录（JSONL）写到这里。Write the transcript (JSONL) here.
    #[arg(long, value_name = "PATH")]
    pub transcript: Option<PathBuf>,
    /// 学员姓名，记入对话记录。Trainee name for the transcript.
    #[arg(long, default_value = "")]
    pub trainee: String,
    /// 输出一个 JSON 对象。Print one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub llm: super::llm_args::LlmArgs,
}

/// Find a persona and scenario by the names a user typed, with messages that list the
/// choices ([`Catalog::resolve`]).
pub(crate) fn pick<'c>(
    catalog: &'c Catalog,
    persona: &str,
    scenario: Option<&str>,
) -> anyhow::Result<(&'c Entry, &'c Scenario)> {
    Ok(catalog.resolve(persona, scenario)?)
}

/// The trainee's lines, read as they come: a file, or stdin line by line so that a
/// live pipe plays turn by turn ([`script::Answers`], UTF-8 required: a bad line is
/// named); over-long lines are cut with a warning.
pub(crate) struct Answers(script::Answers<Box<dyn BufRead>>);

impl Answers {
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        let (reader, label): (Box<dyn BufRead>, String) = if path == Path::new("-") {
            (
                Box::new(io::BufReader::new(io::stdin())),
                "标准输入".to_string(),
            )
        } else {
            crate::files::check_regular(path, crate::files::MAX_FILE_BYTES)
                .with_context(|| format!("无法读取台词文件 {}", path.display()))?;
            let f =
                File::open(path).with_context(|| format!("无法读取台词文件 {}", path.display()))?;
            (Box::new(io::BufReader::new(f)), path.display().to_string())
        };
        Ok(Self(script::Answers::new(
            reader,
            label,
            script::Utf8::Required,
        )))
    }

    /// The next trainee line, or `None` at the end.
    pub(crate) fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        let Some(line) = self.0.next_line()? else {
            return Ok(None);
        };
        let (text, warning) = line.cut(&self.0.label);
        if let Some(w) = warning {
            eprintln!("警告：{w}");
        }
        Ok(Some(text))
    }
}

pub(super) fn run(ctx: &Context, args: RunArgs) -> anyhow::Result<u8> {
    let analyser: &Analyser = ctx.analyser()?;
    let catalog = ctx.catalog(analyser)?;
    let (entry, scenario) = pick(&catalog, &args.persona, args.scenario.as_deref())?;
    let mut answers = Answers::open(&args.answers)?;
    // The first line is read before the session starts: an empty script is an error,
    // not an empty transcript.
    let Some(first) = answers.next_line()? else {
        bail!(
            "台词文件 {} 是空的：每行写一句学员要说的话",
            answers.0.label
        );
    };
    let engine = Engine::new(&entry.persona, scenario, &args.difficulty, analyser)
        .expect("difficulty checked by clap");
    let opts = Options {
        seed: args.seed,
        trainee: args.trainee.clone(),
        transcript: args.transcript.clone().map_or(Record::Memory, Record::At),
        ..Options::default()
    };
    let voice = match args.llm.resolve(&ctx.config()?.backend)? {
        Some(settings) => Some(LlmVoice::new(settings, &engine)?),
        None => None,
    };
    let mut session = Live::quiet(|live| {
        Session::start_voiced(&engine, &entry.source, &opts, voice.as_ref(), live)
    })
    .with_context(|| {
        format!(
            "无法写对话记录 {}",
            args.transcript
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
        )
    })?;
    let mut out = io::stdout().lock();
    let st = Style::stdout();
    let name = ui::sanitize(&entry.persona.name).into_owned();
    if !args.json {
        writeln!(
            out,
            "{}〔{}〕难度 {}",
            st.bold(&name),
            ui::sanitize(&scenario.title),
            args.difficulty
        )?;
        writeln!(
            out,
            "客户：{}  [愤怒 {}]",
            ui::sanitize(session.opening()),
            session.header().initial.anger
        )?;
    }
    fallback_note(0, session.header().opening_voice.as_ref());
    // One line at a time, each asked for only after the turn before it is played, so
    // a live pipe plays turn by turn.
    let lines =
        std::iter::once(Ok(first)).chain(std::iter::from_fn(|| answers.next_line().transpose()));
    script::play(&mut session, lines, |t| {
        fallback_note(t.n, t.voice.as_ref());
        if !args.json {
            writeln!(out, "学员：{}", ui::sanitize(&t.trainee))?;
            writeln!(
                out,
                "客户：{}  [愤怒 {}]",
                ui::sanitize(&t.customer),
                t.anger
            )?;
            out.flush()?;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    let end = session.end().expect("finished").clone();
    if args.json {
        let v = json!({
            "persona": entry.persona.id,
            "scenario": scenario.id,
            "difficulty": args.difficulty,
            "seed": args.seed,
            "initial": session.header().initial,
            "opening": session.opening(),
            "turns": session.turns(),
            "outcome": end.outcome,
            "reason": end.reason,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        writeln!(
            out,
            "\n结果：{}（第 {} 轮，愤怒 {}）",
            end.reason, end.turns, end.anger
        )?;
        if let Some(p) = session.transcript_path() {
            writeln!(out, "对话记录：{}", p.display())?;
        }
    }
    Ok(0)
}

/// One line on stderr when a model-voiced turn fell back to the offline line, so a
/// scripted run says what happened without interrupting the dialogue on stdout. Lines
/// the breaker kept from the server say nothing: the line that opened it said so.
fn fallback_note(turn: u32, voice: Option<&VoiceMark>) {
    if let Some(v) = voice.filter(|v| v.is_fallback() && !v.paused) {
        let at = if turn == 0 {
            "开场白".to_string()
        } else {
            format!("第 {turn} 轮")
        };
        eprintln!(
            "警告：{at}：{}，改用离线台词",
            ui::sanitize(v.reason.as_deref().unwrap_or("大模型没有给出可用的回复"))
        );
    }
}
