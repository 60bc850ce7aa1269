//! `peilian config`: where the settings file is, which settings are in force and where
//! each came from (flag > environment > config file > default), and a commented
//! starter file. It never prints a secret: an API key is only said to be set.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::Context;
use super::llm_args::LlmArgs;
use crate::config::{Config, TRAINEE_ENV};
use crate::llm::{BackendKind, ENV_API_KEY as API_KEY_ENV, ServerSources};
use crate::resolve::{self, Origin, Sourced};
use crate::ui::{self, Style};

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCmd {
    /// 显示配置文件的路径，并说明它是否存在。Print the config file's path.
    Path,
    /// 显示生效的设置和每一项的来源（命令行参数、环境变量、配置文件、默认）。
    /// Show the settings in force and where each came from.
    Show {
        /// 输出一个 JSON 对象：每个设置的值和来源。Print one JSON object.
        #[arg(long)]
        json: bool,
        /// 与 practice、run、assess 相同的客户后端参数：显示加上它们时生效的设置。
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// 写一个带注释的配置文件模板（只有自己可读写）。Write a commented config file (mode 600).
    Init {
        /// 覆盖已存在的配置文件。Overwrite an existing config file.
        #[arg(long)]
        force: bool,
        /// 把学员姓名写进配置文件。Trainee name to write into the file.
        #[arg(long, value_name = "NAME", env = TRAINEE_ENV)]
        trainee: Option<String>,
    },
}

pub(super) fn run(ctx: &Context, cmd: ConfigCmd) -> anyhow::Result<u8> {
    match cmd {
        ConfigCmd::Path => path(ctx),
        ConfigCmd::Show { json, llm } => show(ctx, json, &llm),
        ConfigCmd::Init { force, trainee } => init(ctx, force, trainee.as_deref()),
    }
}

/// The path alone on stdout (so `$EDITOR "$(peilian config path)"` works), whether it
/// exists on stderr.
fn path(ctx: &Context) -> anyhow::Result<u8> {
    let file = &ctx.dirs.config_file;
    writeln!(io::stdout().lock(), "{}", file.display())?;
    if file.is_file() {
        eprintln!("（配置文件存在）");
    } else {
        eprintln!("（配置文件还不存在；`peilian config init` 生成一个带注释的模板）");
    }
    Ok(0)
}

/// One line of `config show`: a setting, its value for people and for `--json`, and
/// where it came from.
struct Row {
    key: &'static str,
    label: &'static str,
    text: String,
    value: serde_json::Value,
    origin: Origin,
    /// For paths: whether the file or folder is there.
    exists: Option<bool>,
}

impl Row {
    fn new(
        key: &'static str,
        label: &'static str,
        text: String,
        value: Value,
        origin: Origin,
    ) -> Self {
        Self {
            key,
            label,
            text,
            value,
            origin,
            exists: None,
        }
    }

    /// A path setting: its value, or `default` (a description) when none is set.
    fn path(
        key: &'static str,
        label: &'static str,
        set: Option<Sourced<PathBuf>>,
        default: &str,
    ) -> Self {
        match set {
            None => Self::new(
                key,
                label,
                default.to_string(),
                Value::Null,
                Origin::Default,
            ),
            Some(p) => {
                let exists = p.value.exists();
                let missing = if exists { "" } else { "（不存在！）" };
                let text = format!("{}{missing}", p.value.display());
                let mut row = Self::new(key, label, text, json!(p.value), p.origin);
                row.exists = Some(exists);
                row
            }
        }
    }

    /// A number or flag from the server settings.
    fn shown<T: ToString + serde::Serialize>(
        key: &'static str,
        label: &'static str,
        v: &Sourced<T>,
    ) -> Self {
        Self::new(
            key,
            label,
            v.value.to_string(),
            json!(v.value),
            v.origin.clone(),
        )
    }
}

/// Every setting in force, resolved by the same functions the commands use.
fn rows(ctx: &Context, llm: &LlmArgs) -> anyhow::Result<Vec<Row>> {
    let cfg = ctx.config()?;
    let file = &ctx.config_file;
    let exists = file.value.is_file();
    let state = if exists {
        "存在"
    } else {
        "不存在，全部取默认值"
    };
    let mut config_row = Row::new(
        "config_file",
        "配置文件",
        format!("{}（{state}）", file.value.display()),
        json!(file.value),
        file.origin.clone(),
    );
    config_row.exists = Some(exists);
    let trainee = match ctx.trainee_sourced(&None)? {
        Some(t) => Row::new(
            "trainee",
            "学员姓名 trainee",
            t.value.clone(),
            json!(t.value),
            t.origin,
        ),
        None => Row::new(
            "trainee",
            "学员姓名 trainee",
            "（未设置：练习时询问一次并记住）".into(),
            Value::Null,
            Origin::Default,
        ),
    };
    let sessions = ctx.sessions_dir_sourced(&None)?;
    let mut sessions_row = Row::path(
        "sessions_dir",
        "练习记录目录 sessions_dir",
        Some(sessions.clone()),
        "",
    );
    if !sessions.value.is_dir() {
        sessions_row.text = format!("{}（还没有，第一次练习时创建）", sessions.value.display());
    }
    let mut rows = vec![
        config_row,
        trainee,
        Row::path(
            "persona_dir",
            "客户画像目录 persona_dir",
            ctx.persona_dir()?,
            "（只用内置的六个客户）",
        ),
        Row::path(
            "rubric",
            "规则文件 rubric",
            ctx.rubric_path()?,
            "（内置 default 规则）",
        ),
        sessions_row,
    ];
    let kind = llm.kind_sourced(&cfg.backend);
    let kind_name = match kind.value {
        BackendKind::Offline => "offline",
        BackendKind::Llm => "llm",
    };
    rows.push(Row::new(
        "backend.kind",
        "客户后端 backend.kind",
        kind_name.into(),
        json!(kind_name),
        kind.origin,
    ));
    rows.extend(server_rows(
        &llm.server
            .flags()
            .sources(&cfg.backend, &resolve::process_env)?,
    ));
    Ok(rows)
}

/// The LLM server's settings; the key is only said to be set, never shown.
fn server_rows(s: &ServerSources) -> Vec<Row> {
    let url = &s.base_url;
    let model = match &s.model {
        Some(m) => Row::new(
            "backend.model",
            "模型 backend.model",
            m.value.clone(),
            json!(m.value),
            m.origin.clone(),
        ),
        None => Row::new(
            "backend.model",
            "模型 backend.model",
            "（未设置：用服务列出的第一个）".into(),
            Value::Null,
            Origin::Default,
        ),
    };
    let key = match &s.api_key {
        Some(k) => {
            let text = match k.origin {
                Origin::Env(name) => format!("已设置（来自环境变量 {name}）"),
                _ => "已设置（来自配置文件）".to_string(),
            };
            Row::new(
                "backend.api_key",
                "密钥 backend.api_key",
                text,
                json!(true),
                k.origin.clone(),
            )
        }
        None => Row::new(
            "backend.api_key",
            "密钥 backend.api_key",
            "未设置".into(),
            json!(false),
            Origin::Default,
        ),
    };
    vec![
        Row::new(
            "backend.base_url",
            "服务地址 backend.base_url",
            url.value.clone(),
            json!(url.value),
            url.origin.clone(),
        ),
        model,
        key,
        Row::shown(
            "backend.temperature",
            "温度 backend.temperature",
            &s.temperature,
        ),
        Row::shown(
            "backend.max_tokens",
            "每句最多 token backend.max_tokens",
            &s.max_tokens,
        ),
        Row::shown(
            "backend.connect_timeout_secs",
            "连接超时 backend.connect_timeout_secs",
            &s.connect_timeout,
        ),
        Row::shown(
            "backend.read_timeout_secs",
            "读取超时 backend.read_timeout_secs",
            &s.read_timeout,
        ),
        Row::shown(
            "backend.reply_timeout_secs",
            "回复时限 backend.reply_timeout_secs",
            &s.reply_timeout,
        ),
        Row::shown("backend.stream", "流式输出 backend.stream", &s.stream),
    ]
}

fn show(ctx: &Context, json: bool, llm: &LlmArgs) -> anyhow::Result<u8> {
    let rows = rows(ctx, llm)?;
    if json {
        write_json(&rows)?;
    } else {
        write_table(&rows)?;
    }
    let file = &ctx.config_file.value;
    if ctx.config()?.backend.api_key.is_some() && readable_by_others(file) {
        eprintln!(
            "警告：配置文件里写了 api_key，但别人也能读这个文件；运行 `chmod 600 {}`，\
             或把密钥改放在环境变量 {API_KEY_ENV} 里",
            file.display()
        );
    }
    Ok(0)
}

/// `{"<setting>": {"value", "source": "flag"|"env"|"file"|"default", "name", "exists"?}}`.
fn write_json(rows: &[Row]) -> anyhow::Result<()> {
    let mut doc = serde_json::Map::new();
    for r in rows {
        let mut v = json!({"value": r.value, "source": r.origin.kind(), "name": r.origin.name()});
        if let Some(e) = r.exists {
            v["exists"] = json!(e);
        }
        doc.insert(r.key.to_string(), v);
    }
    super::print_json(&doc)?;
    Ok(())
}

fn write_table(rows: &[Row]) -> io::Result<()> {
    let st = Style::stdout();
    let mut out = io::stdout().lock();
    let setting_w = rows.iter().map(|r| ui::width(r.label)).max().unwrap_or(0);
    let values: Vec<String> = rows
        .iter()
        .map(|r| ui::sanitize(&r.text).into_owned())
        .collect();
    let value_w = values.iter().map(|v| ui::width(v)).max().unwrap_or(0);
    let header = format!(
        "{}  {}  来源",
        ui::pad("设置", setting_w),
        ui::pad("值", value_w)
    );
    writeln!(out, "{}", st.bold(&header))?;
    for (r, v) in rows.iter().zip(&values) {
        let origin = r.origin.label();
        let origin = if r.origin == Origin::Default {
            st.dim(&origin)
        } else {
            origin
        };
        writeln!(
            out,
            "{}  {}  {origin}",
            ui::pad(r.label, setting_w),
            ui::pad(v, value_w)
        )?;
    }
    writeln!(
        out,
        "{}",
        st.dim("\n优先级：命令行参数 > 环境变量 > 配置文件 > 默认值。")
    )
}

#[cfg(unix)]
fn readable_by_others(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

/// Write the commented template. The file may come to hold an API key, so it is
/// created readable by its owner only, and written atomically so that an interrupted
/// `--force` leaves the old file rather than half a new one.
fn init(ctx: &Context, force: bool, trainee: Option<&str>) -> anyhow::Result<u8> {
    let file = &ctx.dirs.config_file;
    if file.exists() && !force {
        bail!(
            "配置文件 {} 已存在，没有改动它；要换成新模板请加 --force（原文件会被替换）",
            file.display()
        );
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let trainee = trainee.map(str::trim).filter(|t| !t.is_empty());
    // The temporary file behind the atomic write is created with mode 600 and the
    // rename keeps it.
    crate::files::write_atomic(file, Config::template(trainee).as_bytes())
        .with_context(|| format!("无法写入配置文件 {}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("无法设置 {} 的权限", file.display()))?;
    }
    let mut out = io::stdout().lock();
    writeln!(out, "已写入 {}（只有你能读写）。", file.display())?;
    writeln!(
        out,
        "打开它，去掉要改的设置前面的 #;`peilian config show` 查看生效的设置。"
    )?;
    Ok(0)
}
