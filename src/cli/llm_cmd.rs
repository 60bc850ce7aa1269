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
use crate::llm::{self, Client, KeySource, LlmError, Message, ReplyEvent as Event, Settings};

#[derive(Debug, Subcommand)]
pub enum LlmCmd {
    /// 检查大模型服务:能否连上、有哪些模型、示例回复和耗时(正常退出码 0,有问题 1)。
    /// Check the model server: reachable, models, a sample reply with latency.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub server: llm::ServerArgs,
}

pub(super) fn run(ctx: &Context, cmd: LlmCmd) -> anyhow::Result<u8> {
    match cmd {
        LlmCmd::Check(args) => check(ctx, &args),
    }
}

/// The sample exchange: short, so a slow CPU model still answers in seconds.
const SAMPLE_SYSTEM: &str = "你是一位正在打电话投诉的中国顾客。只用一句简短的中文口语回答。";
const SAMPLE_USER: &str = "您好,这里是客服中心,请问有什么可以帮您?";
const SAMPLE_MAX_TOKENS: u32 = 64;

fn check(ctx: &Context, args: &CheckArgs) -> anyhow::Result<u8> {
    let settings = Settings::resolve(&args.server, &ctx.config()?.backend)?;
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    writeln!(out, "服务:{}", settings.server_label())?;
    let key = match settings.key_source {
        KeySource::None => "未设置(本地服务一般不需要)".to_string(),
        KeySource::Environment => format!("已设置(环境变量 {})", llm::ENV_API_KEY),
        KeySource::ConfigFile => format!("已设置(配置文件 {})", ctx.dirs.config_file.display()),
    };
    writeln!(out, "密钥:{key}")?;
    if settings.key_source == KeySource::ConfigFile
        && let Some(warning) = readable_by_others(&ctx.dirs.config_file)
    {
        writeln!(err, "⚠ {warning}")?;
    }
    let configured_model = settings.model.clone();
    let client = Client::new(settings)?;
    let cancel = AtomicBool::new(false);

    match client.models(&cancel) {
        Ok(models) => {
            let shown: Vec<&str> = models.iter().take(8).map(String::as_str).collect();
            let more = if models.len() > shown.len() {
                " 等"
            } else {
                ""
            };
            writeln!(
                out,
                "✓ 服务在线,列出 {} 个模型:{}{more}",
                models.len(),
                shown.join("、")
            )?;
            if let Some(m) = &configured_model
                && !models.is_empty()
                && !models.contains(m)
            {
                writeln!(
                    err,
                    "⚠ 服务没有列出模型 {m}:名字写错了?(有的服务不管模型名,下面试一句看看)"
                )?;
            }
        }
        Err(e) if fatal(&e) => {
            writeln!(err, "✗ {e}")?;
            return Ok(1);
        }
        Err(e) => writeln!(err, "⚠ 拿不到模型列表:{e}")?,
    }

    let model = match client.model(&cancel) {
        Ok(m) => m.to_string(),
        Err(e) => {
            writeln!(err, "✗ {e}")?;
            return Ok(1);
        }
    };
    let origin = if configured_model.is_some() {
        ""
    } else {
        "(没有指定,用服务列出的第一个)"
    };
    writeln!(out, "模型:{model}{origin}")?;

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
                    "… {error};{} 后第 {attempt}/{of} 次尝试",
                    secs(wait)
                ));
            }
            ControlFlow::Continue(())
        },
        &cancel,
    );
    for n in notices {
        writeln!(err, "{n}")?;
    }
    let reply = match result {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "✗ 示例回复失败:{e}")?;
            return Ok(1);
        }
    };
    let tokens = reply
        .usage
        .map(|u| format!(",{} 个 token", u.completion_tokens))
        .unwrap_or_default();
    let first = reply
        .first_token
        .map(|d| format!("首字 {},", millis(d)))
        .unwrap_or_default();
    writeln!(
        out,
        "✓ 示例回复({first}共 {},{}{tokens}):",
        millis(reply.elapsed),
        if reply.streamed {
            "流式"
        } else {
            "非流式"
        }
    )?;
    let sample: String = reply.text.trim().chars().take(120).collect();
    writeln!(out, "  「{sample}」")?;
    let failures = llm::basic_audit(&reply.text);
    if !failures.is_empty() {
        let why: Vec<String> = failures.iter().map(ToString::to_string).collect();
        writeln!(
            err,
            "⚠ 这句回复没通过自检({}):练习时客户会经常改用预设台词。换一个中文好的模型(如 qwen2.5)效果更好。",
            why.join(";")
        )?;
    }
    Ok(0)
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
                "配置文件 {} 里有密钥,但别人也能读(权限 {:o}):运行 chmod 600 {}",
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
