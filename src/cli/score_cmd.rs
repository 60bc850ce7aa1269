//! `peilian score`: scorecards for recorded sessions.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};

use super::Context;
use crate::persona::Catalog;
use crate::rubric::Analyser;
use crate::score::render::{Json, Markdown, Render, Text};
use crate::score::{Scorecard, score};
use crate::transcript;
use crate::ui::Style;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
}

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// 对话记录文件(JSONL)。Transcript files.
    #[arg(required = true)]
    pub transcripts: Vec<PathBuf>,
    /// 输出格式。Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// 把每份评分卡写到这个目录(文件名同记录),而不是标准输出。Write one file per transcript here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Score one transcript file.
pub(crate) fn score_file(
    path: &Path,
    catalog: &Catalog,
    analyser: &Analyser,
) -> anyhow::Result<Scorecard> {
    let t = transcript::read(path)?;
    let entry = catalog.find(&t.header.persona.id).ok_or_else(|| {
        anyhow!(
            "{}: 记录里的客户「{}」不在当前的客户画像里;用 --persona-dir 指向它所在的目录",
            path.display(),
            t.header.persona.id
        )
    })?;
    let scenario = entry.persona.scenario(&t.header.scenario).ok_or_else(|| {
        anyhow!(
            "{}: 客户「{}」没有场景「{}」",
            path.display(),
            entry.persona.id,
            t.header.scenario
        )
    })?;
    Ok(score(
        &t,
        &path.display().to_string(),
        &entry.persona,
        scenario,
        entry.source.content.hash(),
        analyser,
        transcript::now_rfc3339(),
    ))
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
    };
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let mut out = io::stdout().lock();
    let mut failed = 0;
    for path in &args.transcripts {
        let card = match score_file(path, &catalog, analyser) {
            Ok(c) => c,
            Err(e) => {
                failed += 1;
                eprintln!("错误: {e:#}");
                continue;
            }
        };
        let doc = renderer.render(&card);
        match &args.out {
            Some(dir) => {
                let stem = path
                    .file_stem()
                    .map_or_else(|| "scorecard".into(), |s| s.to_string_lossy().into_owned());
                let target = dir.join(format!("{stem}.{}", renderer.extension()));
                crate::io::write_atomic(&target, doc.as_bytes())
                    .with_context(|| format!("写入 {}", target.display()))?;
                writeln!(
                    out,
                    "{} → {}({} 分,{})",
                    path.display(),
                    target.display(),
                    card.total,
                    card.grade
                )?;
            }
            None => write!(out, "{doc}")?,
        }
    }
    Ok(if failed > 0 { 2 } else { 0 })
}
