//! The customer engine: the mood model every backend shares, and the customer voices.
//!
//! The mood model alone decides what happens — anger, trust, which needs are met,
//! whether a remedy is accepted, whether the customer walks out. A voice (the offline
//! line pools, or later an LLM) only puts that decision into words, so the same trainee
//! lines always lead to the same trajectory and outcome, whoever speaks. This module
//! performs no I/O.

mod mood;
mod offline;
mod turn;

pub use mood::{Decision, Engine, Event, MoodState, Move, Outcome, TurnReport};
pub use offline::OfflineVoice;

/// A deterministic random source whose sequence never changes between releases, so a
/// transcript replayed with the same `--seed` picks the same lines years later. (A
/// general-purpose RNG crate does not promise a stable stream across versions.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// SplitMix64.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
