//! The page's files, built into the binary: the server works on a LAN with no
//! internet, and nothing is fetched from anywhere else (no CDN, no web fonts).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// What the page may load: its own script and styles, nothing from elsewhere; the
/// scorecard is framed from the same server.
const POLICY: &str = "default-src 'self'; frame-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

fn file(body: &'static str, kind: &'static str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, kind)], body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub async fn practice() -> Response {
    file(include_str!("page.html"), "text/html; charset=utf-8")
}

pub async fn script() -> Response {
    file(include_str!("page.js"), "text/javascript; charset=utf-8")
}

pub async fn style() -> Response {
    file(include_str!("page.css"), "text/css; charset=utf-8")
}

pub async fn trainer() -> Response {
    file(include_str!("trainer.html"), "text/html; charset=utf-8")
}

pub async fn trainer_script() -> Response {
    file(include_str!("trainer.js"), "text/javascript; charset=utf-8")
}

pub async fn common_script() -> Response {
    file(include_str!("common.js"), "text/javascript; charset=utf-8")
}
