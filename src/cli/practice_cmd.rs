//! `peilian practice` (and plain `peilian`): set a session up — menus or flags, the
//! trainee's name, a new, resumed or retried session — then hand it to the REPL.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::Context;
use super::run_cmd::pick;
use crate::engine::Engine;
use crate::llm::LlmVoice;
use crate::persona::{Catalog, Entry, Scenario};
use crate::repl::input::{Input, LineSource as Source, Piped, Terminal};
use crate::repl::{self, Practice, Start};
use crate::transcript::{self, Transcript};
use crate::ui::outln;
use crate::ui::{self, Style};

/// `peilian practice`: its options, and the persona also as a plain word
/// (`peilian practice self-absorbed`, `peilian practice 感情用事`), as a trainee types it.
/// Only here: beside the subcommands, a word after `peilian` names a subcommand.
#[derive(Debug, clap::Args)]
pub struct PracticeCmd {
    /// 客户类型（同 --persona）：编号、名称或别名。Persona, as --persona.
    #[arg(value_name = "PERSONA", conflicts_with = "persona")]
    persona_word: Option<String>,
    #[command(flatten)]
    args: PracticeArgs,
}

impl PracticeCmd {
    /// The options, with the persona named either way.
    pub fn args(self) -> PracticeArgs {
        let mut args = self.args;
        args.persona = args.persona.or(self.persona_word);
        args
    }
}

#[derive(Debug, Default, clap::Args)]
pub struct PracticeArgs {
    /// 客户类型：编号、名称或别名（不给则用菜单选）。Persona id, name or alias; a menu otherwise.
    #[arg(long)]
    pub persona: Option<String>,
    /// 场景编号（默认该客户的第一个场景）。Scenario id; the persona's first by default.
    #[arg(long)]
    pub scenario: Option<String>,
    /// 难度（默认 normal）。Difficulty.
    #[arg(long, value_parser = crate::persona::LEVELS)]
    pub difficulty: Option<String>,
    /// 学员姓名（也可在配置文件里设；都没有时问一次并记住）。Trainee name.
    #[arg(long, env = "PEILIAN_TRAINEE")]
    pub trainee: Option<String>,
    /// 考试模式：不显示情绪条和教练提示。Exam mode: no hints, no mood bar.
    #[arg(long)]
    pub exam: bool,
    /// 练习记录保存目录（默认位置见 `peilian config show`；Linux 上是 ~/.local/share/peilian/sessions）。Where sessions are saved.
    #[arg(long, value_name = "DIR", value_parser = crate::resolve::any_path(), env = "PEILIAN_SESSIONS_DIR")]
    pub sessions_dir: Option<PathBuf>,
    /// 随机种子（默认每次不同）。Seed; a new one each session by default.
    #[arg(long)]
    pub seed: Option<u64>,
    /// 继续一场中断的练习（不给文件则取最近一场未结束的）。Continue an interrupted session.
    #[arg(long, value_name = "FILE", num_args = 0..=1, conflicts_with = "retry")]
    pub resume: Option<Option<PathBuf>>,
    /// 重练：打开一场练习中得分最差的那一轮，从那一刻重来。Retry a session's worst turn.
    #[arg(long, value_name = "FILE")]
    pub retry: Option<PathBuf>,
    #[command(flatten)]
    pub llm: super::llm_args::LlmArgs,
}

impl PracticeArgs {
    /// Whether any option was given that only practice uses (the environment-backed
    /// ones are set for every command, so they do not count).
    pub(super) fn chooses_something(&self) -> bool {
        self.persona.is_some()
            || self.scenario.is_some()
            || self.difficulty.is_some()
            || self.exam
            || self.seed.is_some()
            || self.resume.is_some()
            || self.retry.is_some()
            || self.llm.backend.is_some()
    }
}

pub(super) fn run(ctx: &Context, args: PracticeArgs) -> anyhow::Result<u8> {
    let analyser = ctx.analyser()?;
    // Every automaton a turn searches with, built while the trainee reads the brief;
    // a turn that comes first waits for the one it needs, and an error surfaces as it
    // would on first use.
    std::thread::spawn(move || analyser.compile_all());
    let catalog = ctx.catalog(analyser)?;
    let sessions_dir = ctx.sessions_dir(&args.sessions_dir)?;
    let terminal = io::stdin().is_terminal();
    let mut input: Box<dyn Source> = if terminal {
        Box::new(Terminal::new(None).context("无法打开终端行编辑")?)
    } else {
        Box::new(Piped::new(io::BufReader::new(io::stdin())))
    };
    let st = Style::stdout();

    // Where the session starts, and with which persona, scenario and difficulty.
    let (start, entry, scenario, level, trainee) = if let Some(resume) = &args.resume {
        let trainee = ctx.trainee(&args.trainee)?;
        let path = match resume {
            Some(p) => p.clone(),
            None => latest_unfinished(&sessions_dir, trainee.as_deref())?,
        };
        let t = read(&path)?;
        let (entry, scenario) = recorded(&catalog, &t, &path)?;
        let (level, trainee) = (t.header.difficulty.clone(), t.header.trainee.clone());
        let start = Start::Resume {
            path,
            transcript: t,
        };
        (start, entry, scenario, level, trainee)
    } else if let Some(path) = &args.retry {
        let t = read(path)?;
        let (entry, scenario) = recorded(&catalog, &t, path)?;
        let card = crate::assess::score_file(path, &catalog, analyser)?;
        let Some(turn) = worst_turn(&card) else {
            bail!("{} 里没有学员说过的话，无法重练", path.display());
        };
        let trainee = ctx
            .trainee(&args.trainee)?
            .unwrap_or_else(|| t.header.trainee.clone());
        let level = t.header.difficulty.clone();
        let start = Start::Retry {
            path: path.clone(),
            transcript: t,
            turn,
        };
        (start, entry, scenario, level, trainee)
    } else {
        let Some((entry, scenario, level)) = choose_customer(&args, &catalog, input.as_mut(), &st)?
        else {
            outln!("已取消。");
            return Ok(0);
        };
        let trainee = match ctx.trainee(&args.trainee)? {
            Some(n) => n,
            None if terminal => ask_name(ctx, input.as_mut())?,
            None => String::new(),
        };
        (Start::Fresh, entry, scenario, level, trainee)
    };

    if terminal {
        let history = ctx.dirs.data_dir.join("history").join(format!(
            "{}.txt",
            crate::assess::safe_name(if trainee.is_empty() {
                "default"
            } else {
                &trainee
            })
        ));
        input = Box::new(Terminal::new(Some(history)).context("无法打开终端行编辑")?);
    }
    let engine = Engine::new(&entry.persona, scenario, &level, analyser)
        .ok_or_else(|| anyhow::anyhow!("客户「{}」没有难度「{level}」", entry.persona.name))?;
    let llm = match args.llm.resolve(&ctx.config()?.backend)? {
        None => None,
        Some(settings) => {
            outln!(
                "{}",
                st.dim(&format!("客户由大模型扮演：{}", settings.server_label()))
            );
            Some(LlmVoice::new(settings, &engine)?)
        }
    };
    // A resumed exam stays an exam: resuming must not bring back the mood bar and the
    // coach, nor `/undo`.
    let resumed_exam = matches!(&start, Start::Resume { transcript, .. }
        if transcript.header.mode() == crate::transcript::Mode::Exam);
    let practice = Practice {
        engine: &engine,
        llm: llm.as_ref(),
        source: &entry.source,
        trainee,
        exam: args.exam || resumed_exam,
        seed: args.seed.unwrap_or_else(fresh_seed),
        sessions_dir,
    };
    repl::run(&practice, start, input.as_mut())
}

fn read(path: &Path) -> anyhow::Result<Transcript> {
    Ok(transcript::read(path)?)
}

/// The persona and scenario a transcript was recorded with, from today's catalog.
fn recorded<'c>(
    catalog: &'c Catalog,
    t: &Transcript,
    path: &Path,
) -> anyhow::Result<(&'c Entry, &'c Scenario)> {
    pick(catalog, &t.header.persona.id, Some(&t.header.scenario))
        .with_context(|| format!("无法继续 {}", path.display()))
}

/// The newest session in the directory that has no end line, for this trainee if known.
fn latest_unfinished(dir: &Path, trainee: Option<&str>) -> anyhow::Result<PathBuf> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("练习目录 {} 不存在或无法读取", dir.display()))?;
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("jsonl") {
            continue;
        }
        let Ok(t) = transcript::read(&path) else {
            continue;
        };
        if t.end.is_some() || trainee.is_some_and(|n| n != t.header.trainee) {
            continue;
        }
        found.push((t.header.started_at.clone(), path));
    }
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| anyhow::anyhow!("{} 里没有未结束的练习可以继续", dir.display()))
}

/// The turn that cost the most points (the earliest of equals); with no mistakes at
/// all, the last turn.
fn worst_turn(card: &crate::score::Scorecard) -> Option<u32> {
    let turns = card.dialogue.len() as u32;
    if turns == 0 {
        return None;
    }
    let mut lost = vec![0.0f64; turns as usize + 1];
    for d in &card.dimensions {
        for e in &d.evidence {
            if let Some(n) = e.turn.filter(|&n| n >= 1 && n <= turns)
                && e.points < 0.0
            {
                lost[n as usize] += e.points;
            }
        }
    }
    let worst = (1..=turns)
        .min_by(|&a, &b| {
            lost[a as usize]
                .total_cmp(&lost[b as usize])
                .then(a.cmp(&b))
        })
        .expect("at least one turn");
    Some(if lost[worst as usize] < 0.0 {
        worst
    } else {
        turns
    })
}

/// Menus for what flags did not say. With `--persona` alone, the first scenario and
/// normal difficulty are used, as in `run`; a pipe cannot answer menus.
fn choose_customer<'c>(
    args: &PracticeArgs,
    catalog: &'c Catalog,
    input: &mut dyn Source,
    st: &Style,
) -> anyhow::Result<Option<(&'c Entry, &'c Scenario, String)>> {
    if let Some(name) = &args.persona {
        let (entry, scenario) = pick(catalog, name, args.scenario.as_deref())?;
        let level = args.difficulty.clone().unwrap_or_else(|| "normal".into());
        return Ok(Some((entry, scenario, level)));
    }
    if !input.interactive() {
        bail!("从管道读取台词时请用 --persona 指定客户类型（可选 --scenario、--difficulty）");
    }
    outln!("{}", st.bold("陪练 · 选择要练习的客户类型"));
    let entries = catalog.entries();
    // A type's summary says how to handle it; an exam asks the trainee to know that.
    let items: Vec<String> = entries
        .iter()
        .map(|e| {
            let name = format!("{}（{}）", ui::sanitize(&e.persona.name), e.persona.id);
            if args.exam {
                name
            } else {
                format!("{name} {}", st.dim(&ui::sanitize(&e.persona.summary)))
            }
        })
        .collect();
    let Some(i) = menu(input, &items, None)? else {
        return Ok(None);
    };
    let entry = &entries[i];
    let scenarios = &entry.persona.scenarios;
    let scenario = match &args.scenario {
        Some(id) => pick(catalog, &entry.persona.id, Some(id))?.1,
        None if scenarios.len() == 1 => &scenarios[0],
        None => {
            outln!("{}", st.bold("选择场景（回车 = 第 1 个）"));
            let items: Vec<String> = scenarios
                .iter()
                .map(|s| {
                    format!(
                        "〔{}〕{}",
                        ui::sanitize(&s.industry),
                        ui::sanitize(&s.title)
                    )
                })
                .collect();
            let Some(j) = menu(input, &items, Some(0))? else {
                return Ok(None);
            };
            &scenarios[j]
        }
    };
    let level = match &args.difficulty {
        Some(l) => l.clone(),
        None => {
            outln!("{}", st.bold("选择难度（回车 = 普通）"));
            use crate::persona::Difficulty;
            let items: Vec<String> = (Difficulty::ALL.iter())
                .map(|d| d.label().to_string())
                .collect();
            let Some(k) = menu(input, &items, Some(1))? else {
                return Ok(None);
            };
            Difficulty::ALL[k].as_str().to_string()
        }
    };
    Ok(Some((entry, scenario, level)))
}

/// A numbered menu; `None` when the trainee leaves (Ctrl-C, Ctrl-D).
fn menu(
    input: &mut dyn Source,
    items: &[String],
    default: Option<usize>,
) -> anyhow::Result<Option<usize>> {
    for (i, item) in items.iter().enumerate() {
        outln!("  {}. {item}", i + 1);
    }
    loop {
        let line = match input.read("请输入编号：") {
            Input::Line(l) => l,
            Input::Interrupted | Input::Eof => return Ok(None),
        };
        let t = line.trim();
        if t.is_empty()
            && let Some(d) = default
        {
            return Ok(Some(d));
        }
        match t.parse::<usize>() {
            Ok(n) if (1..=items.len()).contains(&n) => return Ok(Some(n - 1)),
            _ => outln!("请输入 1 到 {} 之间的数字", items.len()),
        }
    }
}

/// Ask the trainee's name once and keep it in the config file.
fn ask_name(ctx: &Context, input: &mut dyn Source) -> anyhow::Result<String> {
    loop {
        let line = match input.read("请输入你的名字（只问这一次）：") {
            Input::Line(l) => l,
            Input::Interrupted | Input::Eof => return Ok(String::new()),
        };
        let name = ui::sanitize(line.trim()).into_owned();
        if name.is_empty() {
            continue;
        }
        let path = &ctx.dirs.config_file;
        match crate::config::remember_trainee(path, &name) {
            Ok(()) => outln!("好的，{name}。名字记在 {}，以后不再问。", path.display()),
            Err(e) => eprintln!("警告：无法把名字写进配置文件 {}：{e}", path.display()),
        }
        return Ok(name);
    }
}

/// A seed that differs between sessions, so the customer does not say the same lines
/// every time; it is recorded in the transcript, so a session can still be replayed.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}
