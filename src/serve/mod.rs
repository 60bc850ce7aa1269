//! `peilian serve`: practice in the browser. A small HTTP server (axum on tokio) with
//! a self-contained Chinese page and a JSON API over the same [`crate::session`] the
//! REPL plays: the same engine, coach, limits and transcripts, so `score`, `assess`
//! and `history` read a session from the page like one from a terminal.
//!
//! It owns the HTTP side only: who may ask (`guard`), what the server remembers across
//! restarts (`store`), the sessions being played (`room`), the trainee's API (`api`),
//! the trainer's (`trainer`) and the page's files (`page`). It never decides what a
//! customer says or how a line scores.

mod api;
mod guard;
mod page;
mod room;
pub mod store;
mod trainer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;

use crate::llm::Settings;
use crate::persona::Catalog;
use crate::rubric::Analyser;

/// How the server is set up.
pub struct Config {
    pub listen: SocketAddr,
    pub sessions_dir: PathBuf,
    /// Asked of every trainee once; required off loopback (generated if not given).
    pub access_code: Option<String>,
    /// Opens the trainer's view; generated if not given.
    pub trainer_code: String,
    /// The model voicing customers; offline when `None`.
    pub llm: Option<Settings>,
    /// Requests per second one client may keep up (four times as many at once);
    /// 0 for no limit.
    pub rate_limit: u32,
}

/// Everything a request handler can reach.
pub struct App {
    room: room::Room,
    access_code: Option<String>,
    trainer_code: String,
    trainers: guard::Trainers,
    limiter: guard::Limiter,
}

/// The routes, every one behind the rate limit and the body limit.
fn router(app: Arc<App>) -> Router {
    let sessions = Router::new()
        .route("/", get(api::mine).post(api::start))
        .route("/{id}", get(api::show))
        .route("/{id}/turn", post(api::turn))
        .route("/{id}/undo", post(api::undo))
        .route("/{id}/restart", post(api::restart))
        .route("/{id}/hint", get(api::hint))
        .route("/{id}/end", post(api::end))
        .route("/{id}/card", get(api::card));
    Router::new()
        .route("/", get(page::practice))
        .route("/common.js", get(page::common_script))
        .route("/app.js", get(page::script))
        .route("/app.css", get(page::style))
        .route("/trainer", get(page::trainer))
        .route("/trainer.js", get(page::trainer_script))
        .route("/trainer/report", get(trainer::report))
        .route("/trainer/scorecards/{file}", get(trainer::card))
        .route("/api/status", get(api::status))
        .route("/api/login", post(api::login))
        .route("/api/menu", get(api::menu))
        .nest("/api/sessions", sessions)
        .route("/api/trainer/login", post(trainer::login))
        .route("/api/trainer/sessions", get(trainer::sessions))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            guard::limit,
        ))
        .layer(DefaultBodyLimit::max(guard::MAX_BODY))
        .with_state(app)
}

/// A line for the operator on stdout. A closed stdout (the terminal went away, a
/// script stopped reading) is no reason to stop serving the room.
pub fn announce(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Run the server until the process is stopped. The first line on stdout is the
/// page's address (a test reads the port of `--listen 127.0.0.1:0` from it).
pub fn run(
    config: Config,
    catalog: &'static Catalog,
    analyser: &'static Analyser,
) -> anyhow::Result<u8> {
    let store = store::Store::open(&config.sessions_dir)
        .with_context(|| format!("无法打开练习目录 {}", config.sessions_dir.display()))?;
    let key_file = config.sessions_dir.join(".serve").join("key");
    let key = crate::transcript::seal::Key::load_or_create(&key_file)
        .with_context(|| format!("无法读取或创建签名密钥 {}", key_file.display()))?;
    let app = Arc::new(App {
        room: room::Room::new(catalog, analyser, store, key, config.llm),
        access_code: config.access_code,
        trainer_code: config.trainer_code,
        trainers: guard::Trainers::default(),
        limiter: guard::Limiter::new(config.rate_limit),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动服务器的运行时")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("无法监听 {}", config.listen))?;
        let addr = listener.local_addr()?;
        // A turn's events are small writes: without TCP_NODELAY, Nagle's algorithm
        // held each behind the client's delayed ACK, about 40 ms a turn.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        announce(&format!("练习页面：http://{addr}/"));
        announce(&format!("培训师页面：http://{addr}/trainer"));
        let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .await
            .context("服务器停止了")?;
        Ok(0)
    })
}
