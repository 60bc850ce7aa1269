//! `peilian serve`: the flags of the practice page's server, the codes it asks for,
//! and handing over to [`crate::serve`].

use std::net::SocketAddr;
use std::path::PathBuf;

use super::Context;
use crate::config::SESSIONS_DIR_ENV;
use crate::serve::{self, store};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// 监听地址(默认只在本机 127.0.0.1:8730;用 0.0.0.0:8730 开放给局域网,此时必须有访问码)。
    /// Address to listen on; anything but loopback requires an access code.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8730")]
    pub listen: SocketAddr,
    /// 练习记录保存目录(同 practice)。Where sessions are saved.
    #[arg(long, value_name = "DIR", value_parser = crate::resolve::any_path(), env = SESSIONS_DIR_ENV)]
    pub sessions_dir: Option<PathBuf>,
    /// 学员进入时要输入的访问码(监听非本机地址而没有给时自动生成并显示)。
    /// Access code every trainee enters once; generated off loopback.
    #[arg(
        long,
        value_name = "CODE",
        env = "PEILIAN_ACCESS_CODE",
        hide_env_values = true
    )]
    pub access_code: Option<String>,
    /// 培训师页面的密码(没有给时自动生成并显示)。Trainer code for /trainer; generated if absent.
    #[arg(
        long,
        value_name = "CODE",
        env = "PEILIAN_TRAINER_CODE",
        hide_env_values = true
    )]
    pub trainer_code: Option<String>,
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
        println!("客户由大模型扮演：{}", s.server_label());
    }
    let blank = |c: Option<String>| c.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let access_code = match blank(args.access_code) {
        Some(c) => Some(c),
        None if args.listen.ip().is_loopback() => None,
        None => {
            let c = store::random_code();
            println!(
                "访问码：{c}（监听 {} 时学员必须输入；用 --access-code 指定）",
                args.listen
            );
            Some(c)
        }
    };
    let trainer_code = blank(args.trainer_code).unwrap_or_else(|| {
        let c = store::random_code();
        println!("培训师码：{c}（打开 /trainer 时输入；用 --trainer-code 指定）");
        c
    });
    println!("练习记录保存在 {}", sessions_dir.display());
    let config = serve::Config {
        listen: args.listen,
        sessions_dir,
        access_code,
        trainer_code,
        llm,
    };
    serve::run(config, catalog, analyser)
}
