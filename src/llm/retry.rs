//! Waiting and sending again: every wait bounded by a limit and watching the cancel
//! flag, the server's `Retry-After`, and the back-off between attempts. A request is
//! sent again only when the error allows it, no token was shown, the server's wait is
//! within the policy and the retry can finish before the reply's deadline.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

use super::error::LlmError;
use super::settings::RetryPolicy;

/// How often a wait looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Why a bounded wait ended without its result.
pub(super) enum Stop {
    Cancelled,
    TimedOut,
    /// The reply's deadline passed.
    Deadline,
}

/// Run `fut` for at most `limit`, giving up early when `cancel` is set.
pub(super) async fn guarded<F: Future>(
    fut: F,
    cancel: &AtomicBool,
    limit: Duration,
) -> Result<F::Output, Stop> {
    let mut fut = std::pin::pin!(fut);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Stop::Cancelled);
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Err(Stop::TimedOut);
        }
        let slice = (deadline - now).min(CANCEL_POLL);
        if let Ok(v) = tokio::time::timeout(slice, fut.as_mut()).await {
            return Ok(v);
        }
    }
}

/// How long to wait before attempt `attempt + 1` after `err`, or `None` when the call
/// must give up: the error is final, a token was already shown, the attempts are
/// spent, the server asks for a longer wait than the policy allows, or the retry
/// could not finish before `deadline`.
pub(super) fn wait_before_retry(
    err: &LlmError,
    attempt: u32,
    shown: bool,
    policy: &RetryPolicy,
    deadline: Instant,
) -> Option<Duration> {
    if shown || !err.retryable() || attempt >= policy.attempts.max(1) {
        return None;
    }
    let wait = match err.retry_after() {
        Some(w) if w > policy.max_wait => return None,
        Some(w) => w,
        None => policy.base_delay * 2u32.saturating_pow(attempt - 1),
    };
    // A retry that could not finish in time is not worth waiting for.
    (Instant::now() + wait < deadline).then_some(wait)
}

/// `Retry-After` in seconds, or OpenAI's `retry-after-ms`. (The HTTP-date form is rare
/// on these APIs; without a usable value the caller's own back-off applies.)
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    get("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        h.clear();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
