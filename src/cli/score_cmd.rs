//! `peilian score`: scorecards for recorded sessions.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::Context;
// `rubric_cmd` reaches the scorer through here too.
pub(crate) use crate::assess::score_file;
use crate::rubric::Analyser;
use crate::score::Scorecard;
use crate::score::html::Html;
use crate::score::render::{Format, Json, Markdown, Render, Text};
use crate::transcript;
use crate::ui::Style;

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// 对话记录文件（JSONL）。Transcript files.
    #[arg(required_unless_present = "chatlog")]
    pub transcripts: Vec<PathBuf>,
    /// 给真实客服聊天记录打分（JSONL，每行 {"dialogue","role":"agent"|"customer","text"}），
    /// 每段对话一张评分卡，只评客服说的话。Score real service chats instead.
    #[arg(long, value_name = "FILE", conflicts_with = "transcripts")]
    pub chatlog: Option<PathBuf>,
    /// 输出格式。Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// 把每份评分卡写到这个目录（文件名同记录），而不是标准输出。Write one file per transcript here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub(super) fn run(ctx: &Context, args: ScoreArgs) -> anyhow::Result<u8> {
    let analyser = ctx.analyser()?;
    let catalog = ctx.catalog(analyser)?;
    let renderer: Box<dyn Render> = match args.format {
        Format::Text => Box::new(Text {
            style: if args.out.is_some() {
                Style { on: false }
            } else {
                Style::stdout()
            },
        }),
        Format::Json => Box::new(Json),
        Format::Md => Box::new(Markdown),
        Format::Html => Box::new(Html),
    };
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    if let Some(log) = &args.chatlog {
        return score_chatlog(log, analyser, renderer.as_ref(), args.out.as_deref());
    }
    let mut out = io::stdout().lock();
    let mut failed = 0;
    let mut names = Names::default();
    for path in &args.transcripts {
        let card = match score_file(path, &catalog, analyser) {
            Ok(c) => c,
            Err(e) => {
                failed += 1;
                eprintln!("错误：{e:#}");
                continue;
            }
        };
        let stem = names.take(
            path.file_stem()
                .map_or_else(|| "scorecard".into(), |s| s.to_string_lossy().into_owned()),
        );
        emit(
            &mut out,
            renderer.as_ref(),
            &card,
            args.out.as_deref(),
            &stem,
            &path.display().to_string(),
        )?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// Every dialogue of a chat log, scored on the agent's lines.
fn score_chatlog(
    log: &Path,
    analyser: &Analyser,
    renderer: &dyn Render,
    out_dir: Option<&Path>,
) -> anyhow::Result<u8> {
    let dialogues = crate::chatlog::read(log)?;
    let mut out = io::stdout().lock();
    let mut names = Names::default();
    for (id, t) in &dialogues {
        let card = crate::score::score_chat(
            t,
            &format!("{}#{id}", log.display()),
            analyser,
            transcript::now_rfc3339(),
        );
        // Dialogue ids come from someone else's system: keep file names tame.
        emit(
            &mut out,
            renderer,
            &card,
            out_dir,
            &names.take(crate::assess::safe_name(id)),
            id,
        )?;
    }
    if dialogues.is_empty() {
        eprintln!("警告：{} 里没有对话", log.display());
    }
    Ok(0)
}

/// The file stems a run has written: two transcripts named alike in different folders
/// (`a/x.jsonl`, `b/x.jsonl`) get `x` and `x-2`, instead of the second card replacing
/// the first.
#[derive(Default)]
struct Names(std::collections::HashSet<String>);

impl Names {
    fn take(&mut self, stem: String) -> String {
        let mut name = stem.clone();
        let mut n = 2;
        while !self.0.insert(name.clone()) {
            name = format!("{stem}-{n}");
            n += 1;
        }
        name
    }
}

/// Print a rendered scorecard, or write it to `dir/<stem>.<ext>` and say so.
fn emit(
    out: &mut impl Write,
    renderer: &dyn Render,
    card: &Scorecard,
    dir: Option<&Path>,
    stem: &str,
    label: &str,
) -> anyhow::Result<()> {
    let doc = renderer.render(card);
    match dir {
        Some(dir) => {
            let target = dir.join(format!("{stem}.{}", renderer.extension()));
            crate::files::write_atomic(&target, doc.as_bytes())
                .with_context(|| format!("写入 {}", target.display()))?;
            writeln!(
                out,
                "{label} → {}（{} 分，{}）",
                target.display(),
                card.total,
                card.grade
            )?;
        }
        None => write!(out, "{doc}")?,
    }
    Ok(())
}
