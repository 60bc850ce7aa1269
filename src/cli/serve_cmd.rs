//! `peilian serve`: the flags of the practice page's server, the codes it asks for,
//! and handing over to [`crate::serve`].

use std::net::SocketAddr;
use std::path::PathBuf;

use super::Context;
use crate::config::SESSIONS_DIR_ENV;
use crate::serve::{self, store};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// 监听地址（默认只在本机 127.0.0.1:8730；用 0.0.0.0:8730 开放给局域网，此时必须有访问码）。
    /// Address to listen on; anything but loopback requires an access code.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8730")]
    pub listen: SocketAddr,
    /// 练习记录保存目录（同 practice）。Where sessions are saved.
    #[arg(long, value_name = "DIR", value_parser = crate::resolve::any_path(), env = SESSIONS_DIR_ENV)]
    pub sessions_dir: Option<PathBuf>,
    /// 学员进入时要输入的访问码（监听非本机地址而没有给时自动生成并显示）。
    /// Access code every trainee enters once; generated off loopback.
    #[arg(
        long,
        value_name = "CODE",
        env = "PEILIAN_ACCESS_CODE",
        hide_env_values = true
    )]
    pub access_code: Option<String>,
    /// 培训师页面的密码（没有给时自动生成并显示）。Trainer code for /trainer; generated if absent.
    #[arg(
        long,
        value_name = "CODE",
        env = "PEILIAN_TRAINER_CODE",
        hide_env_values = true
    )]
    pub trainer_code: Option<String>,
    /// 每个学员每秒最多几个请求（可以一下子用掉四倍；0 = 不限，只用于压测）。
    /// Requests per second per client, bursts of four times that; 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub rate_limit: u32,
    #[command(flatten)]
    pub llm: super::llm_args::LlmArgs,
}

pub(super) fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<u8> {
    let analyser = ctx.analyser()?;
    std::thread::spawn(move || analyser.compile_all());
    // One catalogue for the server's life, borrowed by every session.
    let catalog: &'static crate::persona::Catalog = Box::leak(Box::new(ctx.catalog(analyser)?));
    let sessions_dir = ctx.sessions_dir(&args.sessions_dir)?;
    let llm = args.llm.resolve(&ctx.config()?.backend)?;
    if let Some(s) = &llm {
        serve::announce(&format!("客户由大模型扮演：{}", s.server_label()));
    }
    let access_code = match access_code(blank(args.access_code), args.listen) {
        Code::Given(c) => Some(c),
        Code::None => None,
        Code::Generated(c) => {
            serve::announce(&format!(
                "访问码：{c}（监听 {} 时学员必须输入；用 --access-code 指定）",
                args.listen
            ));
            Some(c)
        }
    };
    let trainer_code = blank(args.trainer_code).unwrap_or_else(|| {
        let c = store::random_code();
        serve::announce(&format!(
            "培训师码：{c}（打开 /trainer 时输入；用 --trainer-code 指定）"
        ));
        c
    });
    serve::announce(&format!("练习记录保存在 {}", sessions_dir.display()));
    let config = serve::Config {
        listen: args.listen,
        sessions_dir,
        access_code,
        trainer_code,
        llm,
        rate_limit: args.rate_limit,
    };
    serve::run(config, catalog, analyser)
}

/// A code given on the command line, blank meaning none.
fn blank(c: Option<String>) -> Option<String> {
    c.map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
}

/// The trainees' access code in force.
#[derive(Debug, PartialEq, Eq)]
enum Code {
    Given(String),
    /// Loopback without a code: only this machine can reach the page.
    None,
    /// Another address without a code: anyone on the network could, so one is made up
    /// and printed for the trainer to hand out.
    Generated(String),
}

fn access_code(given: Option<String>, listen: SocketAddr) -> Code {
    match given {
        Some(c) => Code::Given(c),
        None if listen.ip().is_loopback() => Code::None,
        None => Code::Generated(store::random_code()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_goes_without_an_access_code() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(access_code(None, at("127.0.0.1:8730")), Code::None);
        assert_eq!(access_code(None, at("[::1]:8730")), Code::None);
        for open in ["0.0.0.0:8730", "192.168.1.5:80", "[::]:8730"] {
            assert!(matches!(access_code(None, at(open)), Code::Generated(c) if c.len() == 8));
        }
        assert_eq!(
            access_code(blank(Some(" 42 ".into())), at("0.0.0.0:1")),
            Code::Given("42".into())
        );
        assert_eq!(blank(Some("  ".into())), None);
    }
}
