//! Who may ask what: trainee tokens (a bearer header for programs, an HttpOnly
//! cookie for the page), trainer tokens, the error every refusal is sent as, bodies
//! read within their limit, and a token bucket per client so that one client cannot
//! flood the server.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::App;
use super::room::RoomError;
use super::store::{lock, token_key};

/// The largest request body: a 2,000-character reply is at most 8 KB of UTF-8, and
/// twice that as JSON escapes.
pub const MAX_BODY: usize = 16 * 1024;

/// The trainee's cookie; the trainer's.
pub const TRAINEE_COOKIE: &str = "pl_token";
pub const TRAINER_COOKIE: &str = "pl_trainer";

/// A refusal or failure, sent as `{"error": "…"}` with its status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.message }));
        (self.status, body).into_response()
    }
}

impl From<RoomError> for ApiError {
    fn from(e: RoomError) -> Self {
        let status = match &e {
            RoomError::NotFound => StatusCode::NOT_FOUND,
            RoomError::Refused(_) => StatusCode::CONFLICT,
            RoomError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, e.to_string())
    }
}

/// A JSON body, refused in Chinese when it is too large or not the JSON expected.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "请求太大（最多 {} KB）；一句话最多 2000 个字。",
                    MAX_BODY / 1024
                ),
            )),
            Err(r) if r.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "请求要用 JSON（Content-Type: application/json）。",
            )),
            Err(r) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("请求的内容不对：{}", r.body_text()),
            )),
        }
    }
}

/// The credential a request carries: `Authorization: Bearer …`, else the cookie.
fn credential(headers: &HeaderMap, cookie: &str) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == cookie)
        .map(|(_, v)| v.to_string())
}

/// A trainee who logged in: their token's key and their name.
pub struct Trainee {
    pub key: String,
    pub name: String,
}

impl FromRequestParts<Arc<App>> for Trainee {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let unknown = || ApiError::new(StatusCode::UNAUTHORIZED, "请先输入名字进入练习。");
        let token = credential(&parts.headers, TRAINEE_COOKIE).ok_or_else(unknown)?;
        let key = token_key(&token);
        let name = app.room.store.trainee(&key).ok_or_else(unknown)?;
        Ok(Self { key, name })
    }
}

/// On a request that may come before logging in (the page's first call).
impl axum::extract::OptionalFromRequestParts<Arc<App>> for Trainee {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Self as FromRequestParts<Arc<App>>>::from_request_parts(parts, app)
                .await
                .ok(),
        )
    }
}

/// A trainer who gave the trainer code.
pub struct Trainer;

impl FromRequestParts<Arc<App>> for Trainer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let token = credential(&parts.headers, TRAINER_COOKIE);
        match token {
            Some(t) if lock(&app.trainers).contains(&token_key(&t)) => Ok(Self),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "培训师页面需要培训师码。",
            )),
        }
    }
}

/// A `Set-Cookie` value the page's scripts cannot read and other sites cannot send.
pub fn cookie(name: &str, token: &str) -> String {
    format!("{name}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=31536000")
}

/// The set of trainer tokens (their keys) handed out since the server started.
pub type Trainers = Mutex<HashSet<String>>;

/// Requests a client may make at once, as a multiple of its rate per second.
const BURST_SECONDS: f64 = 4.0;

/// A token bucket per client: a trainee (by token) or, before logging in, an
/// address. Thirty trainees behind one NAT each have their own token, so they do not
/// share a bucket once they are in.
pub struct Limiter {
    /// Requests per second a client may keep up; `None` for no limit.
    per_second: Option<f64>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// A bucket of `per_second` × 4 requests refilled at `per_second`; 0 for no limit.
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: (per_second > 0).then_some(f64::from(per_second)),
            buckets: Mutex::default(),
        }
    }

    /// Take one request from `client`'s bucket; false when it is empty.
    pub fn allow(&self, client: &str) -> bool {
        let Some(rate) = self.per_second else {
            return true;
        };
        let burst = rate * BURST_SECONDS;
        let now = Instant::now();
        let mut b = lock(&self.buckets);
        if b.len() > 10_000 {
            // Forget clients whose buckets have filled up again.
            b.retain(|_, (n, at)| *n + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (n, at) = b.entry(client.to_string()).or_insert((burst, now));
        *n = (*n + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *n >= 1.0 {
            *n -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The rate limit, as middleware in front of every route.
pub async fn limit(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    req: Request,
    next: Next,
) -> Response {
    let client = credential(req.headers(), TRAINEE_COOKIE)
        .or_else(|| credential(req.headers(), TRAINER_COOKIE))
        .map(|t| token_key(&t))
        .unwrap_or_else(|| {
            let ip = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
            ip.to_string()
        });
    if !app.limiter.allow(&client) {
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "请求太频繁了，请稍等一秒再试。",
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return r;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_other_clients_keep_theirs() {
        let l = Limiter::new(10);
        let allowed = (0..100).filter(|_| l.allow("a")).count();
        assert!((40..=45).contains(&allowed), "{allowed}");
        assert!(l.allow("b"));
        let off = Limiter::new(0);
        assert!((0..1000).all(|_| off.allow("a")));
    }

    #[test]
    fn the_bearer_header_comes_before_the_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "x=1; pl_token=abc".parse().unwrap());
        assert_eq!(credential(&h, TRAINEE_COOKIE).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, "Bearer def".parse().unwrap());
        assert_eq!(credential(&h, TRAINEE_COOKIE).as_deref(), Some("def"));
    }
}
