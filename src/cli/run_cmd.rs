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
use crate::session::{Live, MAX_TURN_CHARS, Options, Record, Session};
use crate::transcript::VoiceMark;
use crate::ui::{self, Style};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// 客户类型:编号、名称或别名。Persona id, name or alias.
    #[arg(long)]
    pub persona: String,
    /// 场景编号(默认该客户的第一个场景)。Scenario id; the persona's first by default.
    #[arg(long)]
    pub scenario: Option<String>,
    /// 难度。Difficulty.
    #[arg(long, default_value = "normal", value_parser = ["easy", "normal", "hard"])]
    pub difficulty: String,
    /// 学员台词文件,每行一句;`-` 表示标准输入。空行和 # 开头的行跳过。Trainee lines, one per line; `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub answers: PathBuf,
    /// 随机种子:同一种子、同样的台词,得到同样的对话。Seed; same seed and lines, same session.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// 把对话记录(JSONL)写到这里。Write the transcript (JSONL) here.
    #[arg(long, value_name = "PATH")]
    pub transcript: Option<PathBuf>,
    /// 学员姓名,记入对话记录。Trainee name for the transcript.
    #[arg(long, default_value = "")]
    pub trainee: String,
    /// 输出一个 JSON 对象。Print one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
}

/// Find a persona and scenario by the names a user typed, with messages that list the
/// choices.
pub(crate) fn pick<'c>(
    catalog: &'c Catalog,
    persona: &str,
    scenario: Option<&str>,
) -> anyhow::Result<(&'c Entry, &'c Scenario)> {
    let entry = catalog
        .find(persona)
        .ok_or_else(|| anyhow::anyhow!(catalog.not_found(persona)))?;
    let p = &entry.persona;
    let sc = match scenario {
        None => &p.scenarios[0],
        Some(id) => p.scenario(id).ok_or_else(|| {
            let ids: Vec<&str> = p.scenarios.iter().map(|s| s.id.as_str()).collect();
            anyhow::anyhow!(
                "客户「{}」没有场景「{id}」。可选:{}",
                p.name,
                ids.join("、")
            )
        })?,
    };
    Ok((entry, sc))
}

/// The trainee's lines, read as they come: a file, or stdin line by line so that a
/// live pipe plays turn by turn. UTF-8 is required (a bad line is named), blank lines
/// and `#` comments are skipped, over-long lines are cut with a warning.
pub(crate) struct Answers {
    reader: Box<dyn BufRead>,
    label: String,
    line_no: usize,
}

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
        Ok(Self {
            reader,
            label,
            line_no: 0,
        })
    }

    /// The next trainee line, or `None` at the end.
    pub(crate) fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        let mut raw = Vec::new();
        loop {
            // Bounded: a line with no end (a pipe from /dev/zero) costs a few KB.
            let (read, cut) =
                crate::files::read_line_bounded(&mut self.reader, &mut raw, 4 * MAX_TURN_CHARS + 4)?;
            if read == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let Ok(text) = std::str::from_utf8(&raw) else {
                bail!(
                    "{}:{}: 不是有效的 UTF-8 文本;请把台词文件存为 UTF-8",
                    self.label,
                    self.line_no
                );
            };
            let text = text.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let n = text.chars().count();
            if n > MAX_TURN_CHARS || cut {
                let n = if cut {
                    format!("超过 {n}")
                } else {
                    n.to_string()
                };
                eprintln!(
                    "警告: {}:{}: 这一行有 {n} 个字,只取前 {MAX_TURN_CHARS} 个",
                    self.label, self.line_no
                );
                return Ok(Some(text.chars().take(MAX_TURN_CHARS).collect()));
            }
            return Ok(Some(text.to_string()));
        }
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
        bail!("台词文件 {} 是空的:每行写一句学员要说的话", answers.label);
    };
    let engine = Engine::new(&entry.persona, scenario, &args.difficulty, analyser)
        .expect("difficulty checked by clap");
    let opts = Options {
        seed: args.seed,
        trainee: args.trainee.clone(),
        transcript: args.transcript.clone().map_or(Record::Memory, Record::At),
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
            "客户:{}  [愤怒 {}]",
            ui::sanitize(session.opening()),
            session.header().initial.anger
        )?;
    }
    fallback_note(0, session.header().opening_voice.as_ref());
    let mut line = first;
    loop {
        let t = session.say(&line).context("写对话记录失败")?;
        fallback_note(t.n, t.voice.as_ref());
        if !args.json {
            writeln!(out, "学员:{}", ui::sanitize(&t.trainee))?;
            writeln!(
                out,
                "客户:{}  [愤怒 {}]",
                ui::sanitize(&t.customer),
                t.anger
            )?;
            out.flush()?;
        }
        if session.outcome().is_some() {
            break;
        }
        match answers.next_line()? {
            Some(l) => line = l,
            None => break,
        }
    }
    if session.outcome().is_none() {
        session.finish_unfinished("学员台词用完,对话未结束")?;
    }
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
            "\n结果:{}(第 {} 轮,愤怒 {})",
            end.reason, end.turns, end.anger
        )?;
        if let Some(p) = session.transcript_path() {
            writeln!(out, "对话记录:{}", p.display())?;
        }
    }
    Ok(0)
}

/// One line on stderr when a model-voiced turn fell back to the offline line, so a
/// scripted run says what happened without interrupting the dialogue on stdout. Lines
/// the breaker kept from the server say nothing: the line that opened it said so.
fn fallback_note(turn: u32, voice: Option<&VoiceMark>) {
    if let Some(v) = voice.filter(|v| v.source == "fallback" && !v.paused) {
        let at = if turn == 0 {
            "开场白".to_string()
        } else {
            format!("第 {turn} 轮")
        };
        eprintln!(
            "警告: {at}:{},改用离线台词",
            ui::sanitize(v.reason.as_deref().unwrap_or("大模型没有给出可用的回复"))
        );
    }
}
