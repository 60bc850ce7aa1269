//! Where the LLM customer's server is and how to talk to it: the flags as given (the
//! command line itself is `cli::llm_args`), and their resolution against the environment
//! and the config file (flag > environment >
//! config file > default). The API key has no flag — a key typed on the command line
//! ends up in shell history and `ps` — and lives in [`ApiKey`], which never prints.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::breaker::Breaker;
use super::scrub::{REDACTED, Scrubber};
use crate::config::BackendConfig;
use crate::resolve::{self, Env, Origin, Sourced};

/// Ollama's OpenAI-compatible endpoint: the most common local server.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434/v1";
/// Sampling temperature when none is given: lively but not random.
pub const DEFAULT_TEMPERATURE: f64 = 0.8;
/// A customer says one to three sentences; this bounds a model that does not stop.
pub const DEFAULT_MAX_TOKENS: u32 = 200;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest silence (before the first byte, or between two chunks) accepted from the
/// server. A CPU-only 7B model may think for a while before its first token.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a whole customer line may take, however steadily the server drips: the
/// read timeout alone lets a server that sends one token every few seconds hold a turn
/// for minutes.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variables read, in order of preference within each setting.
pub const ENV_BASE_URL: [&str; 2] = ["OPENAI_BASE_URL", "OPENAI_API_BASE"];
pub const ENV_API_KEY: &str = "OPENAI_API_KEY";
pub const ENV_MODEL: &str = "PEILIAN_MODEL";
pub const ENV_REPLY_TIMEOUT: &str = "PEILIAN_REPLY_TIMEOUT";

/// Who speaks for the customer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackendKind {
    /// The built-in line pools: deterministic, no network.
    #[default]
    Offline,
    /// An OpenAI-compatible chat-completions server.
    Llm,
}

/// The backend choice plus the server settings as given on the command line (the clap
/// flags live in `cli::llm_args`; this module knows no command line).
#[derive(Debug, Clone, Default)]
pub struct LlmChoice {
    pub backend: Option<BackendKind>,
    pub server: ServerFlags,
}

/// How to reach the server, as flags gave it (each `None` when not given). The key has
/// no flag: it comes only from `OPENAI_API_KEY` or the config file.
#[derive(Debug, Clone, Default)]
pub struct ServerFlags {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub timeout: Option<f64>,
    pub reply_timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub no_stream: bool,
}

/// An API key. Its `Debug` and `Display` print a placeholder, so a key cannot reach a
/// log line, an error message or a transcript by accident; [`ApiKey::expose`] is the one
/// way to read it, used only for the request header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from a setting; blank means none.
    pub fn new(value: &str) -> Option<Self> {
        let v = value.trim();
        (!v.is_empty()).then(|| Self(v.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key (or of a long start of it) replaced, for
    /// anything a server sends back (some servers quote the key they rejected).
    pub fn redact(&self, text: &str) -> String {
        Scrubber::whole(&self.0, text)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({REDACTED})")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Where the key came from, so `llm check` can say which one to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    None,
    Environment,
    ConfigFile,
}

/// How often and how patiently a failed request is tried again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Requests in all, the first included.
    pub attempts: u32,
    /// Wait before the second request; doubled for each further one.
    pub base_delay: Duration,
    /// The longest wait accepted from a `Retry-After`; a server asking for more gets an
    /// error shown instead of a frozen screen.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(20),
        }
    }
}

/// When the voices stop asking a failing server: after `failures` server faults in a row
/// the customer speaks offline for `pause`, then the server is tried again, so a dead
/// server costs a few timeouts instead of one on every line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    pub failures: u32,
    pub pause: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures: 3,
            pause: Duration::from_secs(60),
        }
    }
}

/// Everything needed to talk to one server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The API root, e.g. `http://127.0.0.1:11434/v1`, without a trailing slash.
    pub base_url: Url,
    /// None: use the first model the server lists.
    pub model: Option<String>,
    pub api_key: Option<ApiKey>,
    pub key_source: KeySource,
    pub temperature: f64,
    pub max_tokens: u32,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// The wall-clock bound on one reply, retries included.
    pub reply_timeout: Duration,
    pub stream: bool,
    pub retry: RetryPolicy,
    /// Shared by every voice made from these settings and their clones, so what one
    /// session of an `assess` run learns about the server spares the others.
    pub breaker: Arc<Breaker>,
}

/// A setting that cannot be used, with where it came from.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{origin} 的服务地址 {value:?} 不是合法的 http(s) 网址：{why}")]
    BaseUrl {
        origin: String,
        value: String,
        why: String,
    },
    #[error("{origin} 的 {name} 取值 {value} 不在 {range} 之内")]
    OutOfRange {
        origin: String,
        name: &'static str,
        value: f64,
        range: &'static str,
    },
    #[error("{origin} 的 {name} 取值 {value:?} 不是数字")]
    NotANumber {
        origin: String,
        name: &'static str,
        value: String,
    },
}

impl Settings {
    /// Settings for a server at `base_url` with every other value at its default:
    /// the starting point for tests and for callers that build settings themselves.
    pub fn for_url(base_url: &str) -> Result<Self, SettingsError> {
        Ok(Self {
            base_url: parse_base_url(base_url, "参数")?,
            model: None,
            api_key: None,
            key_source: KeySource::None,
            temperature: DEFAULT_TEMPERATURE,
            max_tokens: DEFAULT_MAX_TOKENS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            stream: true,
            retry: RetryPolicy::default(),
            breaker: Arc::new(Breaker::new(BreakerPolicy::default())),
        })
    }

    /// Resolve from the process environment.
    pub fn resolve(args: &ServerFlags, config: &BackendConfig) -> Result<Self, SettingsError> {
        Self::resolve_with(args, config, &resolve::process_env)
    }

    /// Resolve with `env` standing for the environment (tests pass their own). A blank
    /// variable counts as unset, as shells make it easy to export one by mistake.
    pub fn resolve_with(
        args: &ServerFlags,
        config: &BackendConfig,
        env: Env<'_>,
    ) -> Result<Self, SettingsError> {
        Self::from_sources(&args.sources(config, env)?)
    }

    /// Check the resolved values and build the settings; an error names the value's
    /// origin (`--temperature`, `环境变量 OPENAI_BASE_URL`, `配置文件 backend.stream` …).
    pub fn from_sources(s: &ServerSources) -> Result<Self, SettingsError> {
        let base_url = parse_base_url(&s.base_url.value, &s.base_url.origin.detail())?;
        let num = |v: &Sourced<f64>| (v.value, v.origin.detail());
        let (t, o) = num(&s.temperature);
        let temperature = in_range(t, o, "temperature", 0.0, 2.0, "0–2")?;
        let (t, o) = num(&s.read_timeout);
        let read_timeout = secs(t, o, "read_timeout_secs")?;
        let (t, o) = num(&s.reply_timeout);
        let reply_timeout = secs(t, o, "reply_timeout_secs")?;
        let (t, o) = num(&s.connect_timeout);
        let connect_timeout = secs(t, o, "connect_timeout_secs")?;
        if s.max_tokens.value == 0 {
            return Err(SettingsError::OutOfRange {
                origin: s.max_tokens.origin.detail(),
                name: "max_tokens",
                value: 0.0,
                range: "1–100000",
            });
        }
        let key_source = match s.api_key.as_ref().map(|k| &k.origin) {
            None => KeySource::None,
            Some(Origin::File(_)) => KeySource::ConfigFile,
            Some(_) => KeySource::Environment,
        };
        Ok(Self {
            base_url,
            model: s.model.as_ref().map(|m| m.value.clone()),
            api_key: s.api_key.as_ref().map(|k| k.value.clone()),
            key_source,
            temperature,
            max_tokens: s.max_tokens.value,
            connect_timeout,
            read_timeout,
            reply_timeout,
            stream: s.stream.value,
            retry: RetryPolicy::default(),
            breaker: Arc::new(Breaker::new(BreakerPolicy::default())),
        })
    }

    /// The URL of an endpoint under the API root, keeping any query the root carries
    /// (some gateways want `?api-version=…` on every call).
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// The server as shown to people: scheme, host, port and path, without any user
    /// name, password or query that might carry a secret.
    pub fn server_label(&self) -> String {
        let u = &self.base_url;
        let host = u.host_str().unwrap_or("");
        let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{host}{port}{}",
            u.scheme(),
            u.path().trim_end_matches('/')
        )
    }

    /// Host and port only, for the transcript header.
    pub fn host_label(&self) -> String {
        let u = &self.base_url;
        let host = u.host_str().unwrap_or("");
        match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }
}

impl LlmChoice {
    /// The backend in force: the flag, else the config file's `backend.kind`, else offline.
    pub fn kind(&self, config: &BackendConfig) -> BackendKind {
        self.kind_sourced(config).value
    }

    /// [`LlmChoice::kind`] with where it came from, for `config show`.
    pub fn kind_sourced(&self, config: &BackendConfig) -> Sourced<BackendKind> {
        let file = config.kind.as_deref().map(|k| match k {
            "llm" => (BackendKind::Llm, "backend.kind"),
            _ => (BackendKind::Offline, "backend.kind"),
        });
        resolve::first(self.backend.map(|b| (b, "--backend")), None, file)
            .unwrap_or(Sourced::new(BackendKind::Offline, Origin::Default))
    }

    /// The server settings when the LLM backend is chosen, `None` for offline.
    pub fn resolve(&self, config: &BackendConfig) -> Result<Option<Settings>, SettingsError> {
        match self.kind(config) {
            BackendKind::Offline => Ok(None),
            BackendKind::Llm => Settings::resolve(&self.server, config).map(Some),
        }
    }
}

/// Every server setting with where it came from, before it is checked: what
/// `config show` prints, and what [`Settings::from_sources`] checks and uses, so the
/// two cannot disagree.
#[derive(Debug, Clone)]
pub struct ServerSources {
    pub base_url: Sourced<String>,
    /// None: the first model the server lists.
    pub model: Option<Sourced<String>>,
    pub api_key: Option<Sourced<ApiKey>>,
    pub temperature: Sourced<f64>,
    pub max_tokens: Sourced<u32>,
    pub connect_timeout: Sourced<f64>,
    pub read_timeout: Sourced<f64>,
    pub reply_timeout: Sourced<f64>,
    pub stream: Sourced<bool>,
}

impl ServerFlags {
    /// Each setting from the flag, else the environment, else the config file's
    /// `[backend]`, else the default. Only a reply deadline in the environment that is
    /// not a number is an error here; ranges are checked by [`Settings::from_sources`].
    pub fn sources(
        &self,
        config: &BackendConfig,
        env: Env<'_>,
    ) -> Result<ServerSources, SettingsError> {
        let or_default =
            |v: Option<Sourced<f64>>, d: f64| v.unwrap_or(Sourced::new(d, Origin::Default));
        let flag = |v: Option<f64>, name| v.map(|v| (v, name));
        let file = |v: Option<f64>, key| v.map(|v| (v, key));
        let base_url = resolve::first(
            self.base_url.clone().map(|u| (u, "--base-url")),
            resolve::env_first(env, &ENV_BASE_URL),
            config.base_url.clone().map(|u| (u, "backend.base_url")),
        )
        .unwrap_or(Sourced::new(DEFAULT_BASE_URL.to_string(), Origin::Default));
        let model = resolve::first(
            self.model.clone().map(|m| (m, "--model")),
            resolve::env_first(env, &[ENV_MODEL]),
            config.model.clone().map(|m| (m, "backend.model")),
        )
        .map(|m| m.map(|v| v.trim().to_string()))
        .filter(|m| !m.value.is_empty());
        let api_key = resolve::first(
            None,
            resolve::env_first(env, &[ENV_API_KEY]).and_then(|k| {
                let origin = k.origin.clone();
                ApiKey::new(&k.value).map(|v| Sourced::new(v, origin))
            }),
            config
                .api_key
                .as_deref()
                .and_then(ApiKey::new)
                .map(|k| (k, "backend.api_key")),
        );
        let temperature = resolve::first(
            flag(self.temperature, "--temperature"),
            None,
            file(config.temperature, "backend.temperature"),
        );
        let read_timeout = resolve::first(
            flag(self.timeout, "--timeout"),
            None,
            file(config.read_timeout_secs, "backend.read_timeout_secs"),
        );
        let connect_timeout = resolve::first(
            flag(self.connect_timeout, "--connect-timeout"),
            None,
            file(config.connect_timeout_secs, "backend.connect_timeout_secs"),
        );
        let reply_timeout = resolve::first(
            flag(self.reply_timeout, "--reply-timeout"),
            reply_timeout_env(env)?,
            file(config.reply_timeout_secs, "backend.reply_timeout_secs"),
        );
        let stream = resolve::first(
            self.no_stream.then_some((false, "--no-stream")),
            None,
            config.stream.map(|s| (s, "backend.stream")),
        )
        .unwrap_or(Sourced::new(true, Origin::Default));
        Ok(ServerSources {
            base_url,
            model,
            api_key,
            temperature: or_default(temperature, DEFAULT_TEMPERATURE),
            max_tokens: resolve::first(self.max_tokens.map(|n| (n, "--max-tokens")), None, None)
                .unwrap_or(Sourced::new(DEFAULT_MAX_TOKENS, Origin::Default)),
            connect_timeout: or_default(connect_timeout, DEFAULT_CONNECT_TIMEOUT.as_secs_f64()),
            read_timeout: or_default(read_timeout, DEFAULT_READ_TIMEOUT.as_secs_f64()),
            reply_timeout: or_default(reply_timeout, DEFAULT_REPLY_TIMEOUT.as_secs_f64()),
            stream,
        })
    }
}

/// `PEILIAN_REPLY_TIMEOUT` as a number of seconds; blank is unset, anything else that
/// is not a number is an error naming the variable.
fn reply_timeout_env(env: Env<'_>) -> Result<Option<Sourced<f64>>, SettingsError> {
    let Some(v) = resolve::env_first(env, &[ENV_REPLY_TIMEOUT]) else {
        return Ok(None);
    };
    match v.value.trim().parse::<f64>() {
        Ok(n) => Ok(Some(Sourced::new(n, v.origin))),
        Err(_) => Err(SettingsError::NotANumber {
            origin: v.origin.detail(),
            name: "reply_timeout_secs",
            value: v.value.chars().take(40).collect(),
        }),
    }
}

fn in_range(
    v: f64,
    origin: String,
    name: &'static str,
    lo: f64,
    hi: f64,
    range: &'static str,
) -> Result<f64, SettingsError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(SettingsError::OutOfRange {
            origin,
            name,
            value: v,
            range,
        })
    }
}

fn secs(v: f64, origin: String, name: &'static str) -> Result<Duration, SettingsError> {
    in_range(v, origin, name, 0.001, 86_400.0, "0.001–86400 秒").map(Duration::from_secs_f64)
}

fn parse_base_url(value: &str, origin: &str) -> Result<Url, SettingsError> {
    let err = |why: &str| SettingsError::BaseUrl {
        origin: origin.to_string(),
        // Only what a person needs to spot the typo; never a password or query.
        value: value
            .split(['?', '@'])
            .next_back()
            .unwrap_or("")
            .to_string(),
        why: why.to_string(),
    };
    let trimmed = value.trim();
    let mut url = Url::parse(trimmed).map_err(|e| err(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err("只支持 http 和 https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err("缺少主机名"));
    }
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flag_beats_environment_beats_config_beats_default() {
        let cfg = BackendConfig {
            base_url: Some("http://config:1/v1".into()),
            model: Some("cfg-model".into()),
            api_key: Some("cfg-key".into()),
            temperature: Some(0.3),
            ..BackendConfig::default()
        };
        let env = env_of(&[
            ("OPENAI_API_BASE", "http://api-base:2/v1"),
            ("OPENAI_BASE_URL", "http://base-url:3/v1/"),
            ("OPENAI_API_KEY", "env-key"),
            ("PEILIAN_MODEL", ""),
        ]);
        let s = Settings::resolve_with(&ServerFlags::default(), &cfg, &env).unwrap();
        assert_eq!(s.base_url.as_str(), "http://base-url:3/v1");
        assert_eq!(
            s.model.as_deref(),
            Some("cfg-model"),
            "a blank variable is unset"
        );
        assert_eq!(s.api_key.as_ref().unwrap().expose(), "env-key");
        assert_eq!(s.key_source, KeySource::Environment);
        assert_eq!(s.temperature, 0.3);

        let args = ServerFlags {
            base_url: Some("https://flag/v1".into()),
            model: Some("flag-model".into()),
            temperature: Some(1.5),
            no_stream: true,
            ..ServerFlags::default()
        };
        let s = Settings::resolve_with(&args, &cfg, &env).unwrap();
        assert_eq!(s.base_url.as_str(), "https://flag/v1");
        assert_eq!(s.model.as_deref(), Some("flag-model"));
        assert_eq!(s.temperature, 1.5);
        assert!(!s.stream);

        let s = Settings::resolve_with(&ServerFlags::default(), &BackendConfig::default(), &|_| {
            None
        })
        .unwrap();
        assert_eq!(s.server_label(), DEFAULT_BASE_URL);
        assert_eq!(s.model, None);
        assert!(s.api_key.is_none());
        assert_eq!(s.read_timeout, DEFAULT_READ_TIMEOUT);
        assert!(s.stream);
    }

    #[test]
    fn the_reply_timeout_is_flag_then_environment_then_config_then_default() {
        let cfg = BackendConfig {
            reply_timeout_secs: Some(12.0),
            ..BackendConfig::default()
        };
        let none = |_: &str| None;
        let env = env_of(&[("PEILIAN_REPLY_TIMEOUT", " 7.5 ")]);
        let flag = ServerFlags {
            reply_timeout: Some(3.0),
            ..ServerFlags::default()
        };
        let get =
            |args: &ServerFlags, cfg: &BackendConfig, env: &dyn Fn(&str) -> Option<String>| {
                Settings::resolve_with(args, cfg, env)
                    .unwrap()
                    .reply_timeout
            };
        assert_eq!(get(&flag, &cfg, &env), Duration::from_secs(3));
        assert_eq!(
            get(&ServerFlags::default(), &cfg, &env),
            Duration::from_millis(7500)
        );
        assert_eq!(
            get(&ServerFlags::default(), &cfg, &none),
            Duration::from_secs(12)
        );
        let default = BackendConfig::default();
        assert_eq!(
            get(&ServerFlags::default(), &default, &none),
            DEFAULT_REPLY_TIMEOUT
        );
        let bad = env_of(&[("PEILIAN_REPLY_TIMEOUT", "soon")]);
        let e = Settings::resolve_with(&ServerFlags::default(), &default, &bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("PEILIAN_REPLY_TIMEOUT") && e.contains("soon"),
            "{e}"
        );
        let zero = BackendConfig {
            reply_timeout_secs: Some(0.0),
            ..BackendConfig::default()
        };
        let e = Settings::resolve_with(&ServerFlags::default(), &zero, &none)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("reply_timeout_secs") && e.contains("配置文件"),
            "{e}"
        );
    }

    #[test]
    fn config_key_is_used_when_the_environment_has_none() {
        let cfg = BackendConfig {
            api_key: Some(" cfg-key ".into()),
            ..BackendConfig::default()
        };
        let s = Settings::resolve_with(&ServerFlags::default(), &cfg, &|_| None).unwrap();
        assert_eq!(s.api_key.unwrap().expose(), "cfg-key");
        assert_eq!(s.key_source, KeySource::ConfigFile);
    }

    #[test]
    fn bad_values_name_their_origin() {
        let args = ServerFlags {
            base_url: Some("ftp://x".into()),
            ..ServerFlags::default()
        };
        let e = Settings::resolve_with(&args, &BackendConfig::default(), &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--base-url") && e.contains("http"), "{e}");
        let cfg = BackendConfig {
            temperature: Some(3.0),
            ..BackendConfig::default()
        };
        let e = Settings::resolve_with(&ServerFlags::default(), &cfg, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("配置文件") && e.contains("temperature"), "{e}");
    }

    #[test]
    fn keys_never_print() {
        let k = ApiKey::new("sk-secret-123").unwrap();
        assert!(!format!("{k} {k:?}").contains("secret"));
        let s = Settings {
            api_key: Some(k.clone()),
            ..Settings::for_url("http://h/v1").unwrap()
        };
        assert!(!format!("{s:?}").contains("secret"));
        assert_eq!(k.redact("bad key sk-secret-123!"), "bad key <已隐藏>!");
    }

    #[test]
    fn labels_hide_credentials_and_endpoints_keep_the_query() {
        let s =
            Settings::for_url("https://user:pw@api.example.com:8443/v1/?api-version=2").unwrap();
        assert_eq!(s.server_label(), "https://api.example.com:8443/v1");
        assert_eq!(s.host_label(), "api.example.com:8443");
        assert_eq!(
            s.endpoint("chat/completions").as_str(),
            "https://user:pw@api.example.com:8443/v1/chat/completions?api-version=2"
        );
    }
}
