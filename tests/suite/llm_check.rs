//! `peilian llm check` through the real binary, against loopback servers. The key is set
//! to a unique string and must appear in no output, whatever the server sends back.

use crate::common;
use crate::llm_support;

use assert_cmd::Command;
use llm_support::*;

const KEY: &str = "sk-check-9f3a51e07b";

/// The binary with its LLM settings from the environment only: no config file of the
/// machine's user, no inherited OpenAI variables.
fn check(dir: &common::Dir, base_url: &str) -> Command {
    let mut c = dir.cmd();
    c.args(["llm", "check"])
        .env("PEILIAN_CONFIG", dir.path().join("none.toml"))
        .env_remove("OPENAI_API_BASE")
        .env_remove("PEILIAN_MODEL")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env("OPENAI_BASE_URL", base_url)
        .env("OPENAI_API_KEY", KEY);
    c
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut c: Command) -> Out {
    let o = c.output().unwrap();
    let out = Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    };
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "the key leaked:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    out
}

#[test]
fn a_working_server_is_reported_with_models_and_latency() {
    let server = Server::start(vec![sse_reply(&["喂,", "我要投诉!"])]).with_models(json(
        200,
        &[],
        &models(&["qwen2.5:7b", "llama3"]),
    ));
    let dir = common::Dir::new();
    let o = run(check(&dir, &server.url()));
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains(&format!("服务：{}", server.url())),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("密钥：已设置（环境变量 OPENAI_API_KEY）"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("✓ 服务在线，列出 2 个模型：qwen2.5:7b、llama3")
    );
    assert!(
        o.stdout.contains("模型：qwen2.5:7b（没有指定"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("✓ 示例回复（首字 ") && o.stdout.contains("流式"));
    assert!(o.stdout.contains("「喂,我要投诉!」"), "{}", o.stdout);
    assert!(o.stderr.is_empty(), "{}", o.stderr);
    let chat = &server.chat_requests()[0];
    assert_eq!(
        chat.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn nothing_listening_says_the_server_is_not_running() {
    let url = format!("http://127.0.0.1:{}/v1", closed_port());
    let dir = common::Dir::new();
    let o = run(check(&dir, &url));
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains(&format!("✗ 连不上 {url}：服务没有启动？")),
        "{}",
        o.stderr
    );
}

#[test]
fn a_rejected_key_says_where_the_key_comes_from_and_never_shows_it() {
    let body = format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#);
    let server = Server::start(vec![json(401, &[], &body)]).with_models(json(401, &[], &body));
    let dir = common::Dir::new();
    let o = run(check(&dir, &server.url()));
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("HTTP 401") && o.stderr.contains("OPENAI_API_KEY"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_model_that_cannot_speak_chinese_is_a_warning() {
    let server = Server::start(vec![completion("Hello! How can I help you today?")]);
    let dir = common::Dir::new();
    let mut c = check(&dir, &server.url());
    c.args(["--model", "tiny", "--no-stream"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("非流式"), "{}", o.stdout);
    assert!(
        o.stderr.contains("⚠ 这句回复没通过自检（说的不是中文）"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("⚠ 服务没有列出模型 tiny"), "{}", o.stderr);
    assert_eq!(server.chat_requests()[0].json()["stream"], false);
}

#[test]
fn a_bad_base_url_is_an_error_naming_its_origin() {
    let dir = common::Dir::new();
    let o = run(check(&dir, "localhost:11434"));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("环境变量 OPENAI_BASE_URL"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_key_in_a_config_file_others_can_read_is_flagged() {
    let server = Server::start(vec![sse_reply(&["好"])]);
    let dir = common::Dir::new();
    let cfg = dir.write(
        "config.toml",
        format!(
            "[backend]\nbase_url = \"{}\"\napi_key = \"{KEY}\"\nmodel = \"m\"\n",
            server.url()
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let mut c = check(&dir, "");
    c.env("PEILIAN_CONFIG", &cfg)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY");
    let o = run(c);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("密钥：已设置（配置文件"), "{}", o.stdout);
    #[cfg(unix)]
    assert!(o.stderr.contains("chmod 600"), "{}", o.stderr);
    assert_eq!(
        server.chat_requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

/// A server that sends one token a second (30 s in all) is never silent long enough
/// for the read timeout; the reply deadline ends the check.
#[test]
fn a_dripping_server_is_cut_at_the_reply_deadline() {
    let mut drip = vec![sse_head()];
    for _ in 0..30 {
        drip.push(event(&token("喂")));
        drip.push(ms(1000));
    }
    drip.push(event("[DONE]"));
    let server = Server::start(vec![drip]);
    let dir = common::Dir::new();
    let started = std::time::Instant::now();
    let mut c = check(&dir, &server.url());
    c.args(["--reply-timeout", "2"]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("2 秒内没有说完") && o.stderr.contains("--reply-timeout"),
        "{}",
        o.stderr
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_reply_echoing_the_key_is_shown_without_it() {
    let server = Server::start(vec![sse_reply(&[
        "喂,我的密钥是 ",
        "sk-check-",
        "9f3a51e07b",
        ",听见没?",
    ])]);
    let dir = common::Dir::new();
    let o = run(check(&dir, &server.url()));
    assert!(o.stdout.contains("<已隐藏>"), "{}", o.stdout);
    assert!(!o.stdout.contains("sk-check-9"), "{}", o.stdout);
}
