//! A circuit breaker for a model server: after a few server faults in a row, stop asking
//! for a while. Without it a dead or hung server costs its full timeout on every customer
//! line; with it, it costs [`BreakerPolicy::failures`] of them, the customer speaks
//! offline for [`BreakerPolicy::pause`], and then one line tries the server again.
//!
//! One breaker may be shared by the sessions of a run (`assess` plays them in parallel),
//! so what one session learnt about the server spares the others. It only counts and
//! keeps time; what the customer says meanwhile is the voice's business.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::settings::BreakerPolicy;

/// What the breaker says about asking the server now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Ask.
    Closed,
    /// Do not ask: the server failed too often; this much of the pause is left.
    Open(Duration),
}

#[derive(Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Server faults since the last reply.
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::default()),
        }
    }

    pub fn policy(&self) -> BreakerPolicy {
        self.policy
    }

    /// Whether to ask the server now. Once the pause is over the server is asked
    /// again; one more fault then opens the breaker at once.
    pub fn gate(&self) -> Gate {
        let mut st = self.lock();
        match st.open_until {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Gate::Open(left),
                _ => {
                    st.open_until = None;
                    Gate::Closed
                }
            },
            None => Gate::Closed,
        }
    }

    /// The server answered (whatever the model said): faults are forgotten.
    pub fn success(&self) {
        *self.lock() = State::default();
    }

    /// The server failed. True when this fault opened the breaker, so the caller says
    /// so once.
    pub fn failure(&self) -> bool {
        let mut st = self.lock();
        st.failures = st.failures.saturating_add(1);
        if st.failures >= self.policy.failures.max(1) && st.open_until.is_none() {
            st.open_until = Some(Instant::now() + self.policy.pause);
            true
        } else {
            false
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two plain numbers: a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(pause_ms: u64) -> Breaker {
        Breaker::new(BreakerPolicy {
            failures: 3,
            pause: Duration::from_millis(pause_ms),
        })
    }

    #[test]
    fn opens_after_three_faults_in_a_row_and_says_so_once() {
        let b = breaker(60_000);
        assert!(!b.failure() && !b.failure());
        assert_eq!(b.gate(), Gate::Closed);
        assert!(b.failure(), "the third fault opens it");
        assert!(matches!(b.gate(), Gate::Open(_)));
        assert!(!b.failure(), "already open: nothing new to say");
    }

    #[test]
    fn a_reply_between_faults_resets_the_count() {
        let b = breaker(60_000);
        b.failure();
        b.failure();
        b.success();
        assert!(!b.failure() && !b.failure());
        assert_eq!(b.gate(), Gate::Closed);
    }

    #[test]
    fn after_the_pause_one_try_and_one_more_fault_reopens() {
        let b = breaker(0);
        for _ in 0..3 {
            b.failure();
        }
        assert_eq!(b.gate(), Gate::Closed, "a zero pause is over at once");
        assert!(b.failure(), "the first fault after the pause reopens it");
        b.success();
        assert_eq!(b.gate(), Gate::Closed);
    }
}
