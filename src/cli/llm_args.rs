//! The command-line flags for the LLM customer, shared by `practice`, `run`, `assess`,
//! `config show` and `llm check`: clap's side only. What they mean, and how they are
//! resolved against the environment and the config file, is `llm::settings`.

use clap::{Args, ValueEnum};

use crate::config::BackendConfig;
use crate::llm::{BackendKind, LlmChoice, ServerFlags, Settings, SettingsError};
use crate::resolve::Sourced;

/// `--backend`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// The built-in line pools: deterministic, no network.
    Offline,
    /// An OpenAI-compatible chat-completions server.
    Llm,
}

impl From<BackendArg> for BackendKind {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Offline => BackendKind::Offline,
            BackendArg::Llm => BackendKind::Llm,
        }
    }
}

/// The backend choice plus the server settings, for commands that play sessions
/// (`practice`, `run`, `assess`): `#[command(flatten)]` it.
#[derive(Debug, Clone, Default, Args)]
pub struct LlmArgs {
    /// 客户由谁扮演：offline（内置，默认）或 llm（OpenAI 兼容服务）。Who voices the customer.
    #[arg(long, value_enum, value_name = "KIND")]
    pub backend: Option<BackendArg>,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// How to reach the server. The key comes only from `OPENAI_API_KEY` or the config file.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "大模型客户 LLM customer")]
pub struct ServerArgs {
    /// 服务地址（环境变量 OPENAI_BASE_URL / OPENAI_API_BASE，默认 Ollama 的 http://127.0.0.1:11434/v1）。
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// 模型名（环境变量 PEILIAN_MODEL；不指定时用服务列出的第一个）。Model name.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,

    /// 采样温度 0–2（默认 0.8）。Sampling temperature.
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,

    /// 每句回复最多生成多少 token（默认 200）。Token limit per reply.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,

    /// 服务多少秒没有任何回应就放弃这一句（默认 60）。Read timeout in seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// 每句回复最多等多少秒，不论服务吐字多慢（环境变量 PEILIAN_REPLY_TIMEOUT，默认 30）。Deadline per reply in seconds.
    #[arg(long, value_name = "SECS")]
    pub reply_timeout: Option<f64>,

    /// 连接服务的超时秒数（默认 5）。Connect timeout in seconds.
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,

    /// 不用流式输出，整句生成完再显示。Ask for whole replies instead of a token stream.
    #[arg(long)]
    pub no_stream: bool,
}

impl LlmArgs {
    /// The flags as the LLM settings take them.
    pub fn choice(&self) -> LlmChoice {
        LlmChoice {
            backend: self.backend.map(Into::into),
            server: self.server.flags(),
        }
    }

    /// See [`LlmChoice::resolve`].
    pub fn resolve(&self, config: &BackendConfig) -> Result<Option<Settings>, SettingsError> {
        self.choice().resolve(config)
    }

    /// See [`LlmChoice::kind_sourced`].
    pub fn kind_sourced(&self, config: &BackendConfig) -> Sourced<BackendKind> {
        self.choice().kind_sourced(config)
    }
}

impl ServerArgs {
    /// The flags as the LLM settings take them.
    pub fn flags(&self) -> ServerFlags {
        ServerFlags {
            base_url: self.base_url.clone(),
            model: self.model.clone(),
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            timeout: self.timeout,
            reply_timeout: self.reply_timeout,
            connect_timeout: self.connect_timeout,
            no_stream: self.no_stream,
        }
    }
}
