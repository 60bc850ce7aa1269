//! The user's settings: a TOML file in the system's config dir (`~/.config/peilian/config.toml`
//! on Linux, per XDG; the README's table has macOS and Windows) and the data dir where
//! practice sessions are kept. Every setting can also come
//! from a flag or the environment; the order is flag > environment > config file >
//! default, and this module only supplies the last two steps so that clap keeps the
//! first two.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::{FieldPath, Locator, Problem};

/// The environment variable that points at another config file.
pub const CONFIG_ENV: &str = "PEILIAN_CONFIG";
/// Environment variables of the settings that also have a flag; clap reads them (the
/// flag wins), `peilian config show` names them as a setting's origin.
pub const PERSONA_DIR_ENV: &str = "PEILIAN_PERSONA_DIR";
pub const RUBRIC_ENV: &str = "PEILIAN_RUBRIC";
pub const TRAINEE_ENV: &str = "PEILIAN_TRAINEE";
pub const SESSIONS_DIR_ENV: &str = "PEILIAN_SESSIONS_DIR";

/// The settings file. Every field is optional: an absent file is an empty config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Trainee name recorded in transcripts and used for history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_dir: Option<PathBuf>,
    #[serde(default)]
    pub backend: BackendConfig,
}

/// How the customer speaks: offline (built in) or an OpenAI-compatible server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// `offline` (default) or `llm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Prefer the environment (`OPENAI_API_KEY`); a key here must stay in a file only
    /// its owner can read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_timeout_secs: Option<f64>,
    /// The most seconds one customer line may take, however steadily the server drips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_timeout_secs: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("配置文件有错误：\n{0}")]
    Invalid(String),
}

/// Where peilian keeps its files by default: the `directories` crate's choice per system.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Dirs {
    /// The default locations (`$XDG_CONFIG_HOME/peilian/config.toml`,
    /// `$XDG_DATA_HOME/peilian` on Linux; the README's table has the other systems).
    /// `--config` and `PEILIAN_CONFIG` are the CLI's to apply. Without a home directory
    /// at all, the current directory is used rather than failing.
    pub fn locate() -> Self {
        let pd = directories::ProjectDirs::from("", "", "peilian");
        let config_file = pd
            .as_ref()
            .map(|d| d.config_dir().join("config.toml"))
            .unwrap_or_else(|| PathBuf::from(".peilian/config.toml"));
        let data_dir = pd
            .as_ref()
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".peilian"));
        Self {
            config_file,
            data_dir,
        }
    }

    /// The default sessions directory.
    pub fn sessions_dir(&self) -> PathBuf {
        self.data_dir.join("sessions")
    }
}

impl Config {
    /// Read the config file; a missing file is the empty config.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match crate::files::read_text_file(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        let mut cfg = Self::parse(&path.display().to_string(), &text)?;
        let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
        cfg.resolve_paths(path.parent().unwrap_or(Path::new("")), home.as_deref());
        Ok(cfg)
    }

    /// Make the file's paths usable from any working directory: a relative path is
    /// relative to the config file (a trainer writes `rubric = "house.toml"` next to
    /// it and means that one), and `~/` is the home directory, which TOML does not
    /// expand the way a shell would.
    pub fn resolve_paths(&mut self, base: &Path, home: Option<&Path>) {
        for p in [
            &mut self.persona_dir,
            &mut self.rubric,
            &mut self.sessions_dir,
        ]
        .into_iter()
        .flatten()
        {
            let under_home = p.strip_prefix("~").ok().zip(home);
            *p = match under_home {
                Some((rest, home)) => home.join(rest),
                None if p.is_relative() => base.join(&*p),
                None => continue,
            };
        }
    }

    /// Parse config text; errors name the file, line, column and field.
    pub fn parse(label: &str, text: &str) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            ConfigError::Invalid(Locator::new(label, text).from_toml_error(&e).to_string())
        })?;
        if let Some(k) = cfg.backend.kind.as_deref()
            && k != "offline"
            && k != "llm"
        {
            let field = FieldPath::root().key("backend").key("kind");
            let problem = Problem::new(field, "expected \"offline\" or \"llm\"");
            return Err(ConfigError::Invalid(
                Locator::new(label, text).locate(&problem).to_string(),
            ));
        }
        Ok(cfg)
    }

    /// The file `peilian config init` writes: every setting, commented out, with what
    /// it does, so a trainee edits rather than looks up names.
    pub fn template(trainee: Option<&str>) -> String {
        let name = match trainee {
            Some(n) => format!("trainee = {}\n", toml_string(n)),
            None => "# trainee = \"张三\"\n".to_string(),
        };
        format!(
            "# peilian 配置文件。优先级：命令行参数 > 环境变量 > 本文件 > 默认值。\n\
             \n\
             # 学员姓名：写入对话记录，`peilian history` 按它筛选。\n\
             {name}\
             # 额外的客户画像目录（同编号覆盖内置客户）。\n\
             # persona_dir = \"/path/to/personas\"\n\
             # 规则文件（默认内置 default）。\n\
             # rubric = \"/path/to/rubric.toml\"\n\
             # 练习记录保存目录（默认见 `peilian config show`；Linux 上是 ~/.local/share/peilian/sessions）。\n\
             # sessions_dir = \"/path/to/sessions\"\n\
             \n\
             [backend]\n\
             # 客户由谁扮演：\"offline\"（内置，默认）或 \"llm\"（OpenAI 兼容服务）。\n\
             # kind = \"offline\"\n\
             # base_url = \"http://127.0.0.1:11434/v1\"\n\
             # model = \"qwen2.5:7b\"\n\
             # 密钥最好放在环境变量 OPENAI_API_KEY 里；写在这里时本文件应只有自己可读。\n\
             # api_key = \"\"\n\
             # temperature = 0.7\n\
             # connect_timeout_secs = 5\n\
             # read_timeout_secs = 60\n\
             # 每句回复最多等多少秒（服务吐字再慢也到此为止）。\n\
             # reply_timeout_secs = 30\n\
             # stream = true\n"
        )
    }
}

/// A TOML basic string for a user-given value.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Remember the trainee's name in the config file without disturbing what is there: a
/// new file gets the full template, an existing one gets one `trainee = …` line at the
/// top (top-level keys must come before any table), so comments and order survive.
pub fn remember_trainee(path: &Path, name: &str) -> std::io::Result<()> {
    let text = match crate::files::read_text_file(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            return crate::files::write_atomic(path, Config::template(Some(name)).as_bytes());
        }
        Err(e) => return Err(e),
    };
    // Edit the document, not the text: a file that already says `trainee = ""` gets
    // its value replaced (a second key would make every command fail with
    // `duplicate key`), and the trainer's comments stay where they were.
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{}: 配置文件不是有效的 TOML，没有改动它：{}",
                path.display(),
                e.message()
            ),
        )
    })?;
    doc["trainee"] = toml_edit::value(name);
    crate::files::write_atomic(path, doc.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembering_a_name_replaces_an_empty_one_and_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(
            &p,
            "# 我的设置\ntrainee = \"\"\n\n[backend]\nkind = \"offline\"\n",
        )
        .unwrap();
        remember_trainee(&p, "张三").unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches("trainee").count(), 1, "{text}");
        assert!(text.starts_with("# 我的设置\n"), "{text}");
        let c = Config::parse("c.toml", &text).unwrap();
        assert_eq!(c.trainee.as_deref(), Some("张三"));
        // Twice in a row, and into a file without the key: still one key.
        remember_trainee(&p, "李四").unwrap();
        std::fs::write(&p, "[backend]\nkind = \"offline\"\n").unwrap();
        remember_trainee(&p, "王五").unwrap();
        let c = Config::parse("c.toml", &std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(c.trainee.as_deref(), Some("王五"));
    }

    #[test]
    fn a_broken_file_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "trainee = \"a\nbroken").unwrap();
        assert!(remember_trainee(&p, "张三").is_err());
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "trainee = \"a\nbroken"
        );
    }

    #[test]
    fn template_parses_and_carries_the_name() {
        let c = Config::parse("t", &Config::template(Some("李\"四"))).unwrap();
        assert_eq!(c.trainee.as_deref(), Some("李\"四"));
        assert_eq!(
            Config::parse("t", &Config::template(None)).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn paths_are_relative_to_the_file_and_tilde_is_home() {
        let mut c = Config::parse(
            "c.toml",
            "rubric = \"house.toml\"\npersona_dir = \"~/personas\"\nsessions_dir = \"/abs\"\n",
        )
        .unwrap();
        c.resolve_paths(Path::new("/etc/peilian"), Some(Path::new("/home/u")));
        assert_eq!(c.rubric.unwrap(), Path::new("/etc/peilian/house.toml"));
        assert_eq!(c.persona_dir.unwrap(), Path::new("/home/u/personas"));
        assert_eq!(c.sessions_dir.unwrap(), Path::new("/abs"));
    }

    #[test]
    fn unknown_fields_are_located() {
        let e = Config::parse("c.toml", "trainee = \"a\"\n[backend]\nmodle = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml:3"), "{e}");
        let e = Config::parse("c.toml", "[backend]\nkind = \"gpt\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml:2") && e.contains("backend.kind"), "{e}");
    }
}
