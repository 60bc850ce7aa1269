//! Shared test helpers: a temporary directory and a builder for the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub mod browser;
pub mod web;

/// A scratch directory that disappears with the test.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Write a file relative to the directory, creating parents.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tmp.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// The binary, run inside this directory with a clean environment for its settings,
    /// and this directory as its home: its config file is [`Dir::config_file`], its
    /// sessions go to [`Dir::sessions_dir`].
    pub fn cmd(&self) -> Command {
        let mut c = peilian();
        c.current_dir(self.path());
        home_in(&mut c, self.path());
        c
    }

    /// [`Dir::cmd`] as a `std` command, for a test that spawns the binary and kills it.
    pub fn cmd_std(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"));
        for var in SETTINGS_ENV {
            c.env_remove(var);
        }
        let home = self.path();
        c.current_dir(home)
            .env("NO_COLOR", "1")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("TZ", "UTC");
        c
    }

    /// Where the binary run by [`Dir::cmd`] looks for its config file.
    pub fn config_file(&self) -> PathBuf {
        self.path().join(".config/peilian/config.toml")
    }

    /// Where the binary run by [`Dir::cmd`] keeps practice sessions by default.
    pub fn sessions_dir(&self) -> PathBuf {
        self.path().join(".local/share/peilian/sessions")
    }
}

/// Settings the binary takes from the environment; a test sets the ones it means to.
const SETTINGS_ENV: [&str; 9] = [
    "PEILIAN_CONFIG",
    "PEILIAN_PERSONA_DIR",
    "PEILIAN_RUBRIC",
    "PEILIAN_TRAINEE",
    "PEILIAN_SESSIONS_DIR",
    "PEILIAN_MODEL",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "OPENAI_API_KEY",
];

/// The real `peilian` binary with colour off, no inherited peilian settings, and a
/// home of its own (an empty directory under the build's temporary dir), so that
/// neither the developer's config file nor their saved sessions leak into a test.
pub fn peilian() -> Command {
    let mut c = Command::cargo_bin("peilian").expect("binary built");
    for var in SETTINGS_ENV {
        c.env_remove(var);
    }
    c.env("NO_COLOR", "1");
    home_in(
        &mut c,
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("peilian-home"),
    );
    c
}

/// The binary in a pseudo-terminal, as a trainee runs it, set up like [`Dir::cmd`]
/// plus `env`; a window wide enough that no reply wraps (the line editor's redraw of a
/// wrapped line splits it with cursor movements).
pub fn pty(dir: &Dir, args: &[&str], env: &[(&str, &str)]) -> expectrl::session::OsSession {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_peilian"));
    cmd.args(args).current_dir(dir.path());
    for var in SETTINGS_ENV {
        cmd.env_remove(var);
    }
    let home = dir.path();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied());
    let mut p = expectrl::Session::spawn(cmd).expect("spawn in a pty");
    p.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
    p.get_process_mut()
        .set_window_size(300, 50)
        .expect("window size");
    p
}

/// Point HOME and the XDG config and data dirs at `home`, as on a fresh account.
fn home_in(c: &mut Command, home: &Path) {
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        // Times a trainee reads are local; tests read them in UTC wherever they run.
        .env("TZ", "UTC");
}

/// The commented starter persona, as `persona new` writes it.
pub fn starter(id: &str) -> String {
    include_str!("../../src/persona/starter.toml").replace("{id}", id)
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A transcript written by hand: the scorer reads the trainee lines, the needs met per
/// turn and the outcome, and re-analyses the lines itself.
pub fn transcript(
    persona: &str,
    scenario: &str,
    lines: &[(&str, &[&str])],
    outcome: &str,
) -> String {
    let mut out = format!(
        r#"{{"type":"header","format":1,"peilian":"0.1.0","persona":{{"id":"{persona}","name":"x","hash":"0"}},"scenario":"{scenario}","difficulty":"normal","rubric":{{"id":"default","version":1,"hash":"0"}},"backend":{{"name":"offline","model":null}},"seed":1,"trainee":"小王","started_at":"2026-01-01T00:00:00Z","initial":{{"anger":70,"trust":20}},"opening":"……"}}"#
    );
    out.push('\n');
    for (i, (text, needs)) in lines.iter().enumerate() {
        let needs: Vec<String> = needs.iter().map(|n| format!("\"{n}\"")).collect();
        out.push_str(&format!(
            r#"{{"type":"turn","n":{},"trainee":{},"signals":[],"customer":"嗯。","anger":{},"trust":30,"needs_met":[{}]}}"#,
            i + 1,
            serde_json::to_string(text).unwrap(),
            60 - 5 * i as i32,
            needs.join(",")
        ));
        out.push('\n');
    }
    out.push_str(&format!(
        r#"{{"type":"end","outcome":"{outcome}","reason":"","turns":{},"anger":30}}"#,
        lines.len()
    ));
    out.push('\n');
    out
}

/// The JSON a command printed, asserting it succeeded (stderr in the message if not).
pub fn stdout_json(out: std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// The ids of the six shipped personas, one per customer type of the decks.
pub const PERSONA_IDS: [&str; 6] = [
    "emotional",
    "righteous",
    "stubborn",
    "self-absorbed",
    "prepared",
    "influential",
];

/// Advised handling of the emotional customer's floppy-drive complaint, with the needs
/// the engine would record as met; for hand-written transcripts.
pub const GOOD_SESSION: &[(&str, &[&str])] = &[
    ("您好,这里是售后服务中心,请问有什么可以帮您?", &[]),
    ("非常理解您的心情,换作是我也会着急。", &["heard"]),
    ("请问您的维修单号是多少?是哪天报修的?", &["heard"]),
    (
        "您的意思是软驱读不了盘,维修站让您自己清洗,对吗?",
        &["heard"],
    ),
    (
        "您放心,一定会给您解决。很抱歉给您添麻烦了,我们今天下午安排工程师上门检测,免费更换软驱。",
        &["heard", "assured"],
    ),
    (
        "明天上午十点前给您确认结果,之后我会回访您。感谢您的耐心,请问还有其他需要吗?",
        &["heard", "assured"],
    ),
];

/// How a diagnostic names its field after the position: `（mood.anger）：`.
pub fn field(path: &str) -> String {
    format!("\u{FF08}{path}\u{FF09}\u{FF1A}")
}
