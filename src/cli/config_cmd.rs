//! `peilian config`: where the settings file is, which settings are in force and where
//! each came from (flag > environment > config file > default), and a commented
//! starter file. It never prints a secret: an API key is only said to be set.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::Context;
use crate::config::{
    CONFIG_ENV, Config, Dirs, PERSONA_DIR_ENV, RUBRIC_ENV, SESSIONS_DIR_ENV, TRAINEE_ENV,
};
use crate::ui::{self, Style};

// The customer backend's environment variables, as the LLM client reads them, so that
// `config show` can say which one is in force.
use crate::llm::{
    ENV_API_KEY as API_KEY_ENV, ENV_BASE_URL as BASE_URL_ENVS, ENV_MODEL as MODEL_ENV,
    ENV_REPLY_TIMEOUT as REPLY_TIMEOUT_ENV,
};

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCmd {
    /// 显示配置文件的路径,并说明它是否存在。Print the config file's path.
    Path,
    /// 显示生效的设置和每一项的来源(命令行参数、环境变量、配置文件、默认)。
    /// Show the settings in force and where each came from.
    Show,
    /// 写一个带注释的配置文件模板(只有自己可读写)。Write a commented config file (mode 600).
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
        ConfigCmd::Show => show(ctx),
        ConfigCmd::Init { force, trainee } => init(ctx, force, trainee.as_deref()),
    }
}

/// The path alone on stdout (so `$EDITOR "$(peilian config path)"` works), whether it
/// exists on stderr.
fn path(ctx: &Context) -> anyhow::Result<u8> {
    let file = &ctx.dirs.config_file;
    writeln!(io::stdout().lock(), "{}", file.display())?;
    if file.is_file() {
        eprintln!("(配置文件存在)");
    } else {
        eprintln!("(配置文件还不存在;`peilian config init` 生成一个带注释的模板)");
    }
    Ok(0)
}

/// Where one setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Flag,
    Env(&'static str),
    File,
    Default,
}

impl Origin {
    fn label(&self) -> String {
        match self {
            Origin::Flag => "命令行参数".into(),
            Origin::Env(name) => format!("环境变量 {name}"),
            Origin::File => "配置文件".into(),
            Origin::Default => "默认".into(),
        }
    }

    /// clap merges a flag and its environment variable into one value; the variable
    /// is asked again, and a value equal to it is credited to it (when both are given
    /// with the same value the difference does not matter).
    fn of_given(value: &Path, env: &'static str) -> Origin {
        if env_value(env).is_some_and(|v| Path::new(&v) == value) {
            Origin::Env(env)
        } else {
            Origin::Flag
        }
    }
}

/// A non-empty environment variable.
fn env_value(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The first of `names` that is set, with its value.
fn first_env(names: &[&'static str]) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|&n| env_value(n).map(|v| (n, v.to_string_lossy().into_owned())))
}

struct Row {
    setting: &'static str,
    value: String,
    origin: Origin,
}

fn show(ctx: &Context) -> anyhow::Result<u8> {
    let file = &ctx.dirs.config_file;
    let cfg = ctx.config()?;
    let mut rows = Vec::new();

    let file_origin = if env_value(CONFIG_ENV).is_some_and(|v| Path::new(&v) == file) {
        Origin::Env(CONFIG_ENV)
    } else if *file == Dirs::locate().config_file {
        Origin::Default
    } else {
        Origin::Flag
    };
    let state = if file.is_file() {
        "存在"
    } else {
        "不存在,全部取默认值"
    };
    rows.push(Row {
        setting: "配置文件",
        value: format!("{}({state})", file.display()),
        origin: file_origin,
    });

    let (trainee, origin) = match (env_value(TRAINEE_ENV), &cfg.trainee) {
        (Some(v), _) => (v.to_string_lossy().into_owned(), Origin::Env(TRAINEE_ENV)),
        (None, Some(n)) if !n.trim().is_empty() => (n.clone(), Origin::File),
        _ => ("(未设置:练习时询问一次并记住)".into(), Origin::Default),
    };
    rows.push(Row {
        setting: "学员姓名 trainee",
        value: trainee,
        origin,
    });

    rows.push(path_row(
        "客户画像目录 persona_dir",
        ctx.persona_dir.as_deref(),
        PERSONA_DIR_ENV,
        cfg.persona_dir.as_deref(),
        "(只用内置的六个客户)",
    ));
    rows.push(path_row(
        "规则文件 rubric",
        ctx.rubric_path.as_deref(),
        RUBRIC_ENV,
        cfg.rubric.as_deref(),
        "(内置 default 规则)",
    ));
    let sessions_env = env_value(SESSIONS_DIR_ENV).map(PathBuf::from);
    let sessions = match (&sessions_env, &cfg.sessions_dir) {
        (Some(p), _) => (p.clone(), Origin::Env(SESSIONS_DIR_ENV)),
        (None, Some(p)) => (p.clone(), Origin::File),
        (None, None) => (ctx.dirs.sessions_dir(), Origin::Default),
    };
    rows.push(Row {
        setting: "练习记录目录 sessions_dir",
        value: format!(
            "{}{}",
            sessions.0.display(),
            if sessions.0.is_dir() {
                ""
            } else {
                "(还没有,第一次练习时创建)"
            }
        ),
        origin: sessions.1,
    });

    let b = &cfg.backend;
    let from_file = |v: Option<String>, default: &str| match v {
        Some(v) => (v, Origin::File),
        None => (default.to_string(), Origin::Default),
    };
    let (kind, origin) = from_file(b.kind.clone(), "offline(内置离线客户)");
    rows.push(Row {
        setting: "客户后端 backend.kind",
        value: kind,
        origin,
    });
    let (url, origin) = match first_env(&BASE_URL_ENVS) {
        Some((name, v)) => (v, Origin::Env(name)),
        None => from_file(b.base_url.clone(), crate::llm::DEFAULT_BASE_URL),
    };
    rows.push(Row {
        setting: "服务地址 backend.base_url",
        value: url,
        origin,
    });
    let (model, origin) = match first_env(&[MODEL_ENV]) {
        Some((name, v)) => (v, Origin::Env(name)),
        None => from_file(b.model.clone(), "(未设置:用服务列出的第一个)"),
    };
    rows.push(Row {
        setting: "模型 backend.model",
        value: model,
        origin,
    });
    let (key, origin) = if env_value(API_KEY_ENV).is_some() {
        (
            format!("已设置(来自环境变量 {API_KEY_ENV})"),
            Origin::Env(API_KEY_ENV),
        )
    } else if b.api_key.as_deref().is_some_and(|k| !k.is_empty()) {
        ("已设置(来自配置文件)".to_string(), Origin::File)
    } else {
        ("未设置".to_string(), Origin::Default)
    };
    rows.push(Row {
        setting: "密钥 backend.api_key",
        value: key,
        origin,
    });
    let secs = |d: std::time::Duration| d.as_secs_f64().to_string();
    for (setting, value, default) in [
        (
            "温度 backend.temperature",
            b.temperature.map(|v| v.to_string()),
            crate::llm::DEFAULT_TEMPERATURE.to_string(),
        ),
        (
            "连接超时 backend.connect_timeout_secs",
            b.connect_timeout_secs.map(|v| v.to_string()),
            secs(crate::llm::DEFAULT_CONNECT_TIMEOUT),
        ),
        (
            "读取超时 backend.read_timeout_secs",
            b.read_timeout_secs.map(|v| v.to_string()),
            secs(crate::llm::DEFAULT_READ_TIMEOUT),
        ),
        (
            "流式输出 backend.stream",
            b.stream.map(|v| v.to_string()),
            "true".to_string(),
        ),
    ] {
        let (value, origin) = from_file(value, &default);
        rows.push(Row {
            setting,
            value,
            origin,
        });
    }
    // Beside the read timeout, before `stream`; the only timeout an environment
    // variable sets. Blank counts as unset, as `Settings::resolve` has it.
    let (value, origin) = match first_env(&[REPLY_TIMEOUT_ENV]) {
        Some((name, v)) if !v.trim().is_empty() => (v, Origin::Env(name)),
        _ => from_file(
            b.reply_timeout_secs.map(|v| v.to_string()),
            &secs(crate::llm::DEFAULT_REPLY_TIMEOUT),
        ),
    };
    rows.insert(
        rows.len() - 1,
        Row {
            setting: "回复时限 backend.reply_timeout_secs",
            value,
            origin,
        },
    );

    let st = Style::stdout();
    let mut out = io::stdout().lock();
    let setting_w = rows.iter().map(|r| ui::width(r.setting)).max().unwrap_or(0);
    let values: Vec<String> = rows
        .iter()
        .map(|r| ui::sanitize(&r.value).into_owned())
        .collect();
    let value_w = values.iter().map(|v| ui::width(v)).max().unwrap_or(0);
    writeln!(
        out,
        "{}",
        st.bold(&format!(
            "{}  {}  来源",
            ui::pad("设置", setting_w),
            ui::pad("值", value_w)
        ))
    )?;
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
            ui::pad(r.setting, setting_w),
            ui::pad(v, value_w)
        )?;
    }
    writeln!(
        out,
        "{}",
        st.dim("\n优先级:命令行参数 > 环境变量 > 配置文件 > 默认值。")
    )?;
    if b.api_key.is_some() && readable_by_others(file) {
        eprintln!(
            "警告: 配置文件里写了 api_key,但别人也能读这个文件;运行 `chmod 600 {}`,\
             或把密钥改放在环境变量 {API_KEY_ENV} 里",
            file.display()
        );
    }
    Ok(0)
}

/// A path setting with a flag: flag or environment (clap), else the file, else the
/// built-in default. A path that does not exist is marked, since every command using
/// it would fail.
fn path_row(
    setting: &'static str,
    given: Option<&Path>,
    env: &'static str,
    in_file: Option<&Path>,
    default: &str,
) -> Row {
    let (path, origin) = match (given, in_file) {
        (Some(p), _) => (p, Origin::of_given(p, env)),
        (None, Some(p)) => (p, Origin::File),
        (None, None) => {
            return Row {
                setting,
                value: default.to_string(),
                origin: Origin::Default,
            };
        }
    };
    let missing = if path.exists() { "" } else { "(不存在!)" };
    Row {
        setting,
        value: format!("{}{missing}", path.display()),
        origin,
    }
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
            "配置文件 {} 已存在,没有改动它;要换成新模板请加 --force(原文件会被替换)",
            file.display()
        );
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建目录 {}", dir.display()))?;
    }
    let trainee = trainee.map(str::trim).filter(|t| !t.is_empty());
    // The temporary file behind the atomic write is created with mode 600 and the
    // rename keeps it.
    crate::io::write_atomic(file, Config::template(trainee).as_bytes())
        .with_context(|| format!("无法写入配置文件 {}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("无法设置 {} 的权限", file.display()))?;
    }
    let mut out = io::stdout().lock();
    writeln!(out, "已写入 {}(只有你能读写)。", file.display())?;
    writeln!(
        out,
        "打开它,去掉要改的设置前面的 #;`peilian config show` 查看生效的设置。"
    )?;
    Ok(0)
}
