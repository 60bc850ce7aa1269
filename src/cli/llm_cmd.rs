//! `peilian llm …`: the LLM customer's server, seen from the command line. `check` is
//! the first thing to run when a setup does not work: it says which server and key are
//! in force (never the key itself), whether the server answers, which models it lists,
//! and how long a sample reply takes.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::Context;
use serde_json::json;

use crate::llm::{
    self, Client, KeySource, LlmError, Message, Reply, ReplyEvent as Event, Settings,
};
use crate::resolve::{self, Origin};

#[derive(Debug, Subcommand)]
pub enum LlmCmd {
    /// 检查大模型服务：能否连上、有哪些模型、示例回复和耗时（正常退出码 0，有问题 1）。
    /// Check the model server: reachable, models, a sample reply with latency.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub server: super::llm_args::ServerArgs,
    /// 输出一个 JSON 对象（服务地址及来源、模型、示例回复、问题）。Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(ctx: &Context, cmd: LlmCmd) -> anyhow::Result<u8> {
    match cmd {
        LlmCmd::Check(args) => check(ctx, &args),
    }
}

/// The sample exchange: short, so a slow CPU model still answers in seconds.
const SAMPLE_SYSTEM: &str = "你是一位正在打电话投诉的中国顾客。只用一句简短的中文口语回答。";
const SAMPLE_USER: &str = "您好，这里是客服中心，请问有什么可以帮您？";
const SAMPLE_MAX_TOKENS: u32 = 64;

/// What `llm check` found, printed as text or JSON.
#[derive(Default)]
struct Report {
    server: String,
    server_origin: Option<Origin>,
    key: Option<KeySource>,
    /// Warnings that do not fail the check (stderr in text mode).
    warnings: Vec<String>,
    models: Option<Vec<String>>,
    model: Option<String>,
    model_chosen: bool,
    sample: Option<Reply>,
    audit: Vec<String>,
    /// Why the check failed, if it did.
    error: Option<String>,
}

fn check(ctx: &Context, args: &CheckArgs) -> anyhow::Result<u8> {
    let sources = args
        .server
        .flags()
        .sources(&ctx.config()?.backend, &resolve::process_env)?;
    let settings = Settings::from_sources(&sources)?;
    let mut r = Report {
        server: settings.server_label(),
        server_origin: Some(sources.base_url.origin.clone()),
        key: Some(settings.key_source),
        model_chosen: settings.model.is_some(),
        ..Report::default()
    };
    if settings.key_source == KeySource::ConfigFile
        && let Some(warning) = readable_by_others(&ctx.dirs.config_file)
    {
        r.warnings.push(warning);
    }
    probe(Client::new(settings)?, &mut r);
    if args.json {
        write_json(&r)?;
    } else {
        write_text(ctx, &r)?;
    }
    Ok(u8::from(r.error.is_some()))
}

/// Ask the server for its models, then for a sample reply; stop at the first failure.
fn probe(client: Client, r: &mut Report) {
    let cancel = AtomicBool::new(false);
    match client.models(&cancel) {
        Ok(models) => {
            if let Some(m) = client.settings().model.as_ref()
                && !models.is_empty()
                && !models.contains(m)
            {
                r.warnings.push(format!(
                    "服务没有列出模型 {m}：名字写错了？（有的服务不管模型名，下面试一句看看）"
                ));
            }
            r.models = Some(models);
        }
        Err(e) if fatal(&e) => return r.error = Some(e.to_string()),
        Err(e) => r.warnings.push(format!("拿不到模型列表：{e}")),
    }
    match client.model(&cancel) {
        Ok(m) => r.model = Some(m.to_string()),
        Err(e) => return r.error = Some(e.to_string()),
    }
    let messages = [Message::system(SAMPLE_SYSTEM), Message::user(SAMPLE_USER)];
    let mut req = client.request(&messages);
    req.max_tokens = req.max_tokens.min(SAMPLE_MAX_TOKENS);
    let mut notices = Vec::new();
    let result = client.chat(
        &req,
        &mut |ev| {
            if let Event::Retrying {
                attempt,
                of,
                wait,
                error,
            } = ev
            {
                notices.push(format!(
                    "… {error}；{} 后第 {attempt}/{of} 次尝试",
                    secs(wait)
                ));
            }
            ControlFlow::Continue(())
        },
        &cancel,
    );
    r.warnings.extend(notices);
    match result {
        Ok(reply) => {
            r.audit = llm::basic_audit(&reply.text)
                .iter()
                .map(ToString::to_string)
                .collect();
            r.sample = Some(reply);
        }
        Err(e) => r.error = Some(format!("示例回复失败：{e}")),
    }
}

fn write_text(ctx: &Context, r: &Report) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    writeln!(out, "服务：{}", r.server)?;
    let key = match r.key {
        Some(KeySource::Environment) => format!("已设置（环境变量 {}）", llm::ENV_API_KEY),
        Some(KeySource::ConfigFile) => {
            format!("已设置（配置文件 {}）", ctx.dirs.config_file.display())
        }
        _ => "未设置（本地服务一般不需要）".to_string(),
    };
    writeln!(out, "密钥：{key}")?;
    if let Some(models) = &r.models {
        let shown: Vec<&str> = models.iter().take(8).map(String::as_str).collect();
        let more = if models.len() > shown.len() {
            " 等"
        } else {
            ""
        };
        writeln!(
            out,
            "✓ 服务在线，列出 {} 个模型：{}{more}",
            models.len(),
            shown.join("、")
        )?;
    }
    for w in &r.warnings {
        writeln!(err, "⚠ {w}")?;
    }
    if let Some(model) = &r.model {
        let origin = if r.model_chosen {
            ""
        } else {
            "（没有指定，用服务列出的第一个）"
        };
        writeln!(out, "模型：{model}{origin}")?;
    }
    if let Some(e) = &r.error {
        return writeln!(err, "✗ {e}");
    }
    let Some(reply) = &r.sample else {
        return Ok(());
    };
    let tokens = reply
        .usage
        .map(|u| format!("，{} 个 token", u.completion_tokens))
        .unwrap_or_default();
    let first = reply
        .first_token
        .map(|d| format!("首字 {}，", millis(d)))
        .unwrap_or_default();
    let mode = if reply.streamed {
        "流式"
    } else {
        "非流式"
    };
    writeln!(
        out,
        "✓ 示例回复（{first}共 {}，{mode}{tokens}）：",
        millis(reply.elapsed)
    )?;
    let sample: String = reply.text.trim().chars().take(120).collect();
    writeln!(out, "  「{sample}」")?;
    if !r.audit.is_empty() {
        writeln!(
            err,
            "⚠ 这句回复没通过自检（{}）：练习时客户会经常改用预设台词。换一个中文好的模型（如 qwen2.5）效果更好。",
            r.audit.join("；")
        )?;
    }
    Ok(())
}

/// `{"ok", "base_url", "base_url_source": {"source", "name"}, "key", "models", "model",
/// "model_from_server", "sample", "audit", "warnings", "error"}`; see the README.
fn write_json(r: &Report) -> anyhow::Result<()> {
    let origin = r.server_origin.as_ref();
    let key = match r.key {
        Some(KeySource::Environment) => "env",
        Some(KeySource::ConfigFile) => "file",
        _ => "none",
    };
    let sample = r.sample.as_ref().map(|s| {
        json!({"text": s.text.trim(), "streamed": s.streamed,
               "first_token_ms": s.first_token.map(|d| d.as_millis() as u64),
               "elapsed_ms": s.elapsed.as_millis() as u64,
               "tokens": s.usage.map(|u| u.completion_tokens)})
    });
    let doc = json!({
        "ok": r.error.is_none(),
        "base_url": r.server,
        "base_url_source": {"source": origin.map(Origin::kind), "name": origin.and_then(Origin::name)},
        "key": key,
        "models": r.models,
        "model": r.model,
        "model_from_server": r.model.is_some() && !r.model_chosen,
        "sample": sample,
        "audit": r.audit,
        "warnings": r.warnings,
        "error": r.error,
    });
    super::print_json(&doc)?;
    Ok(())
}

/// Errors after which a sample reply cannot work either.
fn fatal(e: &LlmError) -> bool {
    matches!(
        e,
        LlmError::Connect { .. }
            | LlmError::ConnectTimeout { .. }
            | LlmError::ReadTimeout { .. }
            | LlmError::Deadline { .. }
            | LlmError::Unauthorized { .. }
            | LlmError::Cancelled
    )
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn secs(d: Duration) -> String {
    format!("{:.1} 秒", d.as_secs_f64())
}

/// A warning when a config file holding the key can be read by other users.
fn readable_by_others(path: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "配置文件 {} 里有密钥，但别人也能读（权限 {:o}）：运行 chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
