//! `peilian config` and the settings it governs: where the file is, what `init` writes,
//! located errors, and the order flag > environment > config file > default for every
//! setting, seen both in `config show` and in what the commands then do.

use crate::common;

use common::{Dir, starter};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        String::from_utf8(out.stderr.clone()).unwrap(),
    )
}

#[test]
fn path_is_the_xdg_file_unless_the_environment_or_flag_says_otherwise() {
    let d = Dir::new();
    let out = d.cmd().args(["config", "path"]).output().unwrap();
    let (so, se) = text(&out);
    assert!(out.status.success());
    assert_eq!(so, format!("{}\n", d.config_file().display()));
    assert!(
        se.contains("还不存在") && se.contains("config init"),
        "{se}"
    );

    d.write(".config/peilian/config.toml", "");
    d.cmd()
        .args(["config", "path"])
        .assert()
        .success()
        .stderr(contains("配置文件存在"));

    let env = d.path().join("env.toml");
    let flag = d.path().join("flag.toml");
    d.cmd()
        .env("PEILIAN_CONFIG", &env)
        .args(["config", "path"])
        .assert()
        .stdout(format!("{}\n", env.display()));
    d.cmd()
        .env("PEILIAN_CONFIG", &env)
        .arg("--config")
        .arg(&flag)
        .args(["config", "path"])
        .assert()
        .stdout(format!("{}\n", flag.display()));
}

#[test]
fn init_writes_a_private_commented_template_and_never_overwrites_without_force() {
    let d = Dir::new();
    d.cmd()
        .args(["config", "init"])
        .assert()
        .success()
        .stdout(contains("已写入").and(contains("config show")));
    let file = d.config_file();
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("# 学员姓名") && written.contains("[backend]"));
    assert!(written.contains("优先级：命令行参数 > 环境变量 > 本文件 > 默认值"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // The template is a valid config: everything is still a default.
    let out = d.cmd().args(["config", "show"]).output().unwrap();
    let (so, se) = text(&out);
    assert!(out.status.success(), "{se}");
    assert!(shown(&so, "配置文件").contains("（存在）"), "{so}");
    assert!(shown(&so, "trainee").ends_with("默认"), "{so}");

    // A trainee's edits survive a second init.
    std::fs::write(&file, "trainee = \"张三\"\n").unwrap();
    d.cmd()
        .args(["config", "init"])
        .assert()
        .code(2)
        .stderr(contains("已存在").and(contains("--force")));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "trainee = \"张三\"\n"
    );

    d.cmd()
        .args(["config", "init", "--force", "--trainee", "李四"])
        .assert()
        .success();
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("trainee = \"李四\""), "{written}");
    // …and the name is then in force.
    let v = common::stdout_json(d.cmd().args(["history", "--json"]).output().unwrap());
    assert_eq!(v["trainee"], "李四");
}

#[test]
fn a_bad_config_file_is_located_and_stops_commands_that_need_it() {
    let d = Dir::new();
    d.write(
        ".config/peilian/config.toml",
        "trainee = \"张三\"\n\n[backend]\nmodle = \"qwen\"\n",
    );
    let where_ = format!(
        "{}:4:1: 第 4 行第 1 列{}",
        d.config_file().display(),
        common::field("backend.modle")
    );
    for args in [&["config", "show"][..], &["history"], &["persona", "list"]] {
        d.cmd()
            .args(args)
            .assert()
            .code(2)
            .stderr(contains(where_.as_str()).and(contains("未知字段")));
    }
    // Saying where the file is still works, so the trainee can go and fix it.
    d.cmd().args(["config", "path"]).assert().success();

    d.write(".config/peilian/config.toml", "trainee = 3\n");
    d.cmd()
        .args(["config", "show"])
        .assert()
        .code(2)
        .stderr(contains(format!(
            "{}:1:11: 第 1 行第 11 列{}",
            d.config_file().display(),
            common::field("trainee")
        )));
    d.write(".config/peilian/config.toml", "[backend]\nkind = \"gpt\"\n");
    d.cmd()
        .args(["config", "show"])
        .assert()
        .code(2)
        .stderr(contains(":2:").and(contains("backend.kind")));
}

/// The `config show` row of a setting: its value and where it came from.
fn shown(out: &str, setting: &str) -> String {
    out.lines()
        .find(|l| l.contains(setting))
        .unwrap_or_else(|| panic!("no {setting} row in\n{out}"))
        .to_string()
}

/// Four levels for four settings: a config file sets them all, the environment
/// overrides them, flags override the environment.
#[test]
fn show_names_the_winner_of_flag_environment_config_and_default() {
    let d = Dir::new();
    for dir in ["p-config", "p-env", "p-flag"] {
        std::fs::create_dir_all(d.path().join(dir)).unwrap();
    }
    let show = |c: &mut assert_cmd::Command| {
        let out = c.args(["config", "show"]).output().unwrap();
        let (so, se) = text(&out);
        assert!(out.status.success(), "{se}");
        so
    };

    let out = show(&mut d.cmd());
    for setting in ["persona_dir", "rubric", "sessions_dir", "trainee"] {
        assert!(shown(&out, setting).ends_with("默认"), "{out}");
    }
    assert!(shown(&out, "sessions_dir").contains(&d.sessions_dir().display().to_string()));

    d.write(
        ".config/peilian/config.toml",
        "trainee = \"配置里的名字\"\npersona_dir = \"../../p-config\"\nrubric = \"~/r-config.toml\"\n\
         sessions_dir = \"/s-config\"\n",
    );
    let out = show(&mut d.cmd());
    for (setting, value) in [
        ("persona_dir", "p-config"),
        ("rubric", "r-config.toml"),
        ("sessions_dir", "/s-config"),
        ("trainee", "配置里的名字"),
    ] {
        let row = shown(&out, setting);
        assert!(row.contains(value) && row.ends_with("配置文件"), "{row}");
    }
    // Paths in the file: relative to the file, `~` is home.
    assert!(shown(&out, "rubric").contains(&d.path().join("r-config.toml").display().to_string()));
    assert!(
        shown(&out, "rubric").contains("不存在"),
        "a missing file is flagged"
    );

    let env = |c: &mut assert_cmd::Command| {
        c.env("PEILIAN_PERSONA_DIR", d.path().join("p-env"))
            .env("PEILIAN_RUBRIC", "r-env.toml")
            .env("PEILIAN_SESSIONS_DIR", "/s-env")
            .env("PEILIAN_TRAINEE", "环境里的名字");
    };
    let mut c = d.cmd();
    env(&mut c);
    let out = show(&mut c);
    for (setting, value, var) in [
        ("persona_dir", "p-env", "PEILIAN_PERSONA_DIR"),
        ("rubric", "r-env.toml", "PEILIAN_RUBRIC"),
        ("sessions_dir", "/s-env", "PEILIAN_SESSIONS_DIR"),
        ("trainee", "环境里的名字", "PEILIAN_TRAINEE"),
    ] {
        let row = shown(&out, setting);
        assert!(
            row.contains(value) && row.ends_with(&format!("环境变量 {var}")),
            "{row}"
        );
    }

    let mut c = d.cmd();
    env(&mut c);
    c.arg("--persona-dir")
        .arg(d.path().join("p-flag"))
        .args(["--rubric", "r-flag.toml"]);
    let out = show(&mut c);
    for (setting, value) in [("persona_dir", "p-flag"), ("rubric", "r-flag.toml")] {
        let row = shown(&out, setting);
        assert!(row.contains(value) && row.ends_with("命令行参数"), "{row}");
    }
}

#[test]
fn persona_dir_flag_beats_environment_beats_config_beats_built_in() {
    let d = Dir::new();
    for who in ["config", "env", "flag"] {
        d.write(
            &format!("p-{who}/from-{who}.toml"),
            starter(&format!("from-{who}")),
        );
    }
    let ids = |c: &mut assert_cmd::Command| -> Vec<String> {
        let v = common::stdout_json(c.args(["persona", "list", "--json"]).output().unwrap());
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .filter(|id| id.starts_with("from-"))
            .collect()
    };
    assert!(ids(&mut d.cmd()).is_empty());
    d.write(
        ".config/peilian/config.toml",
        "persona_dir = \"../../p-config\"\n",
    );
    // From another working directory too: the path is relative to the config file.
    let mut c = d.cmd();
    c.current_dir(d.path().join("p-env"));
    assert_eq!(ids(&mut c), ["from-config"]);
    assert_eq!(
        ids(d.cmd().env("PEILIAN_PERSONA_DIR", d.path().join("p-env"))),
        ["from-env"]
    );
    assert_eq!(
        ids(d
            .cmd()
            .env("PEILIAN_PERSONA_DIR", d.path().join("p-env"))
            .args(["--persona-dir", "p-flag"])),
        ["from-flag"]
    );
}

/// A one-rule rubric whose only rule is named after where it was set.
fn rubric(who: &str) -> String {
    format!(
        "id = \"{who}\"\nname = \"{who}\"\nversion = 1\n[[rules]]\nid = \"greeting.{who}\"\n\
         kind = \"greeting\"\npatterns = ['您好']\n"
    )
}

#[test]
fn rubric_flag_beats_environment_beats_config_beats_built_in() {
    let d = Dir::new();
    for who in ["config", "env", "flag"] {
        d.write(&format!("r-{who}.toml"), rubric(who));
    }
    let rule = |c: &mut assert_cmd::Command| -> String {
        let out = c
            .args(["analyze", "--json"])
            .write_stdin("您好\n")
            .output()
            .unwrap();
        let v = common::stdout_json(out);
        v["signals"][0]["rule"].as_str().unwrap().to_string()
    };
    assert_eq!(rule(&mut d.cmd()), "greeting.hello", "the built-in rubric");
    d.write(
        ".config/peilian/config.toml",
        "rubric = \"../../r-config.toml\"\n",
    );
    assert_eq!(rule(&mut d.cmd()), "greeting.config");
    assert_eq!(
        rule(d.cmd().env("PEILIAN_RUBRIC", "r-env.toml")),
        "greeting.env"
    );
    assert_eq!(
        rule(
            d.cmd()
                .env("PEILIAN_RUBRIC", "r-env.toml")
                .args(["--rubric", "r-flag.toml"])
        ),
        "greeting.flag"
    );
}

#[test]
fn show_never_prints_an_api_key() {
    let d = Dir::new();
    d.write(
        ".config/peilian/config.toml",
        "[backend]\nkind = \"llm\"\nmodel = \"qwen2.5:7b\"\napi_key = \"sk-from-file-4321\"\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.config_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = d.cmd().args(["config", "show"]).output().unwrap();
    let (so, se) = text(&out);
    assert!(out.status.success(), "{se}");
    assert!(!so.contains("sk-from-file") && !se.contains("sk-from-file"));
    assert!(
        shown(&so, "api_key").contains("已设置（来自配置文件）"),
        "{so}"
    );
    assert!(shown(&so, "backend.kind").contains("llm"));
    assert!(shown(&so, "backend.model").contains("qwen2.5:7b"));
    #[cfg(unix)]
    assert!(
        se.contains("chmod 600"),
        "a readable key file is warned about: {se}"
    );

    let out = d
        .cmd()
        .env("OPENAI_API_KEY", "sk-from-env-8765")
        .env("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
        .env("PEILIAN_MODEL", "llama3")
        .args(["config", "show"])
        .output()
        .unwrap();
    let (so, se) = text(&out);
    assert!(!so.contains("sk-from-env") && !se.contains("sk-from-env"));
    assert!(shown(&so, "api_key").contains("已设置（来自环境变量 OPENAI_API_KEY）"));
    let url = shown(&so, "base_url");
    assert!(
        url.contains("11434") && url.ends_with("环境变量 OPENAI_BASE_URL"),
        "{url}"
    );
    assert!(shown(&so, "backend.model").ends_with("环境变量 PEILIAN_MODEL"));
}

/// The reply deadline is the one timeout an environment variable sets: `config show`
/// names whichever of the three levels is in force.
#[test]
fn show_names_where_the_reply_timeout_comes_from() {
    let d = Dir::new();
    let show = |c: &mut assert_cmd::Command| {
        let out = c.args(["config", "show"]).output().unwrap();
        let (so, se) = text(&out);
        assert!(out.status.success(), "{se}");
        shown(&so, "reply_timeout_secs")
    };
    let row = show(&mut d.cmd());
    assert!(row.contains("30") && row.ends_with("默认"), "{row}");
    d.write(
        ".config/peilian/config.toml",
        "[backend]\nreply_timeout_secs = 12\n",
    );
    let row = show(&mut d.cmd());
    assert!(row.contains("12") && row.ends_with("配置文件"), "{row}");
    let row = show(d.cmd().env("PEILIAN_REPLY_TIMEOUT", "7.5"));
    assert!(
        row.contains("7.5") && row.ends_with("环境变量 PEILIAN_REPLY_TIMEOUT"),
        "{row}"
    );
    let row = show(d.cmd().env("PEILIAN_REPLY_TIMEOUT", " "));
    assert!(
        row.ends_with("配置文件"),
        "a blank variable is unset: {row}"
    );
}

/// `config show --json` and `llm check --json` name the same base URL with the same
/// origin at each level: flag, environment, file, default, and a blank variable (which
/// is unset for both; `config show` once named it while `llm check` used the default).
#[test]
fn show_json_names_the_base_url_llm_check_uses() {
    let d = Dir::new();
    let json = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = d.cmd();
        c.args(args).envs(env.iter().copied());
        let out = c.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), v)
    };
    // Nothing listens on port 9: `llm check` fails (exit 1) after resolving.
    let check = ["llm", "check", "--json", "--connect-timeout", "2"];
    let both = |flags: &[&str], env: &[(&str, &str)]| {
        let (code, shown) = json(&[&["config", "show", "--json"], flags].concat(), env);
        assert_eq!(code, Some(0));
        let (code, checked) = json(&[&check[..], flags].concat(), env);
        assert_eq!(code, Some(1), "{checked}");
        assert_eq!(checked["ok"], false);
        let s = &shown["backend.base_url"];
        assert_eq!(s["value"], checked["base_url"], "{shown}\n{checked}");
        assert_eq!(s["source"], checked["base_url_source"]["source"]);
        assert_eq!(s["name"], checked["base_url_source"]["name"]);
        (s["value"].clone(), s["source"].clone(), s["name"].clone())
    };
    let v = |s: &str| serde_json::json!(s);
    let null = serde_json::Value::Null;

    assert_eq!(
        both(&[], &[]),
        (v("http://127.0.0.1:11434/v1"), v("default"), null.clone())
    );
    assert_eq!(
        both(&[], &[("OPENAI_BASE_URL", " ")]),
        (v("http://127.0.0.1:11434/v1"), v("default"), null.clone()),
        "a blank variable is unset"
    );
    d.write(
        ".config/peilian/config.toml",
        "[backend]\nbase_url = \"http://127.0.0.1:9/file\"\n",
    );
    assert_eq!(
        both(&[], &[("OPENAI_BASE_URL", " ")]),
        (
            v("http://127.0.0.1:9/file"),
            v("file"),
            v("backend.base_url")
        )
    );
    let env = [
        ("OPENAI_BASE_URL", ""),
        ("OPENAI_API_BASE", "http://127.0.0.1:9/env"),
    ];
    assert_eq!(
        both(&[], &env),
        (v("http://127.0.0.1:9/env"), v("env"), v("OPENAI_API_BASE"))
    );
    assert_eq!(
        both(&["--base-url", "http://127.0.0.1:9/flag"], &env),
        (v("http://127.0.0.1:9/flag"), v("flag"), v("--base-url"))
    );
}

/// A blank path or name in the environment is unset too, for every setting: the file's
/// value is used and `config show --json` says so.
#[test]
fn blank_environment_variables_fall_through_to_the_file() {
    let d = Dir::new();
    std::fs::create_dir_all(d.path().join("p")).unwrap();
    d.write(
        ".config/peilian/config.toml",
        "trainee = \"配置\"\npersona_dir = \"../../p\"\n",
    );
    let out = d
        .cmd()
        .args(["config", "show", "--json"])
        .env("PEILIAN_TRAINEE", " ")
        .env("PEILIAN_PERSONA_DIR", " ")
        .env("PEILIAN_SESSIONS_DIR", "")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["trainee"]["value"], "配置");
    assert_eq!(v["trainee"]["source"], "file");
    assert_eq!(v["persona_dir"]["source"], "file");
    assert_eq!(v["persona_dir"]["exists"], true);
    assert_eq!(v["sessions_dir"]["source"], "default");
    // The command that uses the folder agrees: the persona in it is found.
    std::fs::write(d.path().join("p/x.toml"), common::starter("x")).unwrap();
    d.cmd()
        .args(["persona", "show", "x"])
        .env("PEILIAN_PERSONA_DIR", " ")
        .assert()
        .success();
}
