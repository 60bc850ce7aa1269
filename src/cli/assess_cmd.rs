//! `peilian assess`: an assessment run over a directory of transcripts or a manifest of
//! scripted sessions. The work is `crate::assess`; this file owns the arguments, the
//! progress bar and the messages.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Context;
use crate::assess::{self, OutDir, Plan, RunSettings as Settings};
use crate::score::html::Html;
use crate::score::render::{Format, Json, Markdown, Render, Text};
use crate::transcript::seal;
use crate::ui::{self, Style};

#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// 对话记录目录（其中的 *.jsonl）。Directory of transcripts (*.jsonl).
    #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
    pub dir: Option<PathBuf>,
    /// 考核清单（TOML）：每个 [[session]] 用台词文件跑一场对话。Manifest of scripted sessions.
    #[arg(long, value_name = "FILE.toml")]
    pub manifest: Option<PathBuf>,
    /// 输出目录：scorecards/、transcripts/、summary.csv、report.html。Output directory.
    #[arg(long, value_name = "OUTDIR")]
    pub out: PathBuf,
    /// 评分卡除 JSON 外再写的格式，可多选（md,html,txt）。Extra scorecard formats.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub format: Vec<Format>,
    /// 只计考试模式的对话：练习模式的、记录里没有写模式的（按练习算）都不计，并说明不计了几场。
    /// Count exam sessions only.
    #[arg(long)]
    pub exam_only: bool,
    /// 严格：有任何一场记录与重放不一致或无法重放核对，就以退出码 1 结束。
    /// Exit 1 unless every session replays as recorded.
    #[arg(long)]
    pub strict: bool,
    /// 网页练习服务器的签名密钥（`练习目录/.serve/key`）：核对 `peilian serve` 写的记录有没有被改动或改名。
    /// 不给时，如果要考核的目录就是服务器的练习目录（里面有 .serve/key），自动用它。
    /// The key of the `peilian serve` that wrote the web sessions; checks their seals.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// 清单里的对话由谁扮演客户（只影响客户的措辞，结局由情绪模型决定）。
    #[command(flatten)]
    pub llm: super::llm_args::LlmArgs,
}

pub(super) fn run(ctx: &Context, args: AssessArgs) -> anyhow::Result<u8> {
    let analyser = ctx.analyser()?;
    let catalog = ctx.catalog(analyser)?;
    let plan = match (&args.dir, &args.manifest) {
        (_, Some(m)) => Plan::manifest(m)?,
        (Some(d), None) => Plan::dir(d)?,
        (None, None) => unreachable!("clap requires one"),
    };
    if plan.items.is_empty() && plan.failures.is_empty() {
        match &args.dir {
            Some(d) => anyhow::bail!("目录 {} 里没有对话记录（*.jsonl）", d.display()),
            None => anyhow::bail!("考核清单里没有 [[session]]"),
        }
    }

    let text = Text {
        style: Style { on: false },
    };
    let mut renderers: Vec<&(dyn Render + Sync)> = Vec::new();
    for f in &args.format {
        let r: &(dyn Render + Sync) = match f {
            Format::Json => &Json,
            Format::Md => &Markdown,
            Format::Html => &Html,
            Format::Text => &text,
        };
        if !renderers.iter().any(|x| x.extension() == r.extension()) {
            renderers.push(r);
        }
    }
    // The report links to the HTML scorecards when there are any.
    let card_ext = if args.format.contains(&Format::Html) {
        "html"
    } else {
        "json"
    };

    let total = plan.items.len() as u64;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} 场 {per_sec} 剩余 {eta}")
            .expect("static template"),
    );
    let settings = Settings {
        renderers,
        llm: args.llm.resolve(&ctx.config()?.backend)?,
        card_ext,
        exam_only: args.exam_only,
        key: seal_key(args.key.as_deref(), args.dir.as_deref())?,
        replay: true,
    };
    let out = OutDir::lock(&args.out, || {
        eprintln!(
            "输出目录 {} 正被另一次考核使用，等它写完再继续……",
            args.out.display()
        );
    })?;
    let report = assess::assess(plan, &catalog, analyser, &settings, &out, &|| bar.inc(1));
    bar.finish_and_clear();
    let report = report?;

    for w in &report.warnings {
        eprintln!("警告：{}", ui::sanitize(w));
    }
    for f in &report.failures {
        eprintln!("错误：{}（已跳过）", ui::sanitize(&f.to_string()));
    }
    let mut out = std::io::stdout().lock();
    if report.exam_only {
        writeln!(
            out,
            "只计考试模式：不计练习模式的 {} 场{}",
            report.left_out,
            if report.left_out_unrecorded > 0 {
                format!(
                    "（其中 {} 场记录里没有写模式，按练习算）",
                    report.left_out_unrecorded
                )
            } else {
                String::new()
            }
        )?;
    }
    writeln!(
        out,
        "评分 {} 场{} → {}",
        report.rows.len(),
        if report.failures.is_empty() {
            String::new()
        } else {
            format!("，{} 场无法评分", report.failures.len())
        },
        args.out.display()
    )?;
    writeln!(
        out,
        "  {}\n  {}\n  {}",
        args.out.join("scorecards").display(),
        args.out.join("summary.csv").display(),
        args.out.join("report.html").display()
    )?;
    let unchecked: Vec<&assess::Row> = report
        .rows
        .iter()
        .filter(|r| {
            r.unverified.is_some()
                || r.invalid.as_deref().is_some_and(|w| {
                    w.starts_with(crate::replay::MISMATCH) || w.starts_with(seal::BROKEN)
                })
        })
        .collect();
    for r in &unchecked {
        let why = r
            .invalid
            .as_deref()
            .or(r.unverified.as_deref())
            .unwrap_or_default();
        eprintln!(
            "{}: {}: {}",
            if args.strict { "错误" } else { "警告" },
            ui::sanitize(&r.name),
            ui::sanitize(why)
        );
    }
    Ok(u8::from(
        !report.failures.is_empty() || (args.strict && !unchecked.is_empty()),
    ))
}

/// The sealing key to check web sessions with: `--key`, else the key of the server
/// whose sessions folder is being assessed, if it is one.
fn seal_key(given: Option<&Path>, dir: Option<&Path>) -> anyhow::Result<Option<seal::Key>> {
    let path = match (given, dir) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) if d.join(".serve/key").is_file() => d.join(".serve/key"),
        _ => return Ok(None),
    };
    let key =
        seal::Key::load(&path).with_context(|| format!("无法读取签名密钥 {}", path.display()))?;
    Ok(Some(key))
}
