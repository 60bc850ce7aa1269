//! Keeping the API key out of what a server sends back. A model asked the right way (or a
//! broken proxy) may echo the key it was called with; whatever it says is shown, streamed
//! token by token, audited and saved, so the key is removed before any of that.
//!
//! Streamed text arrives in pieces and a key may be split across them: the scrubber holds
//! back any tail that could be the start of the key until the next piece settles it, so
//! not even the key's first characters reach the terminal. A run of at least
//! [`MIN_PREFIX`] characters that begins the key is removed too, so a key cut short (a
//! stream stopped mid-key) does not leak most of itself. This module performs no I/O.

/// What a removed key reads as.
pub(super) const REDACTED: &str = "<已隐藏>";

/// The shortest start of the key removed on its own (the whole key, if shorter): long
/// enough that ordinary text (`sk-` in a sentence) passes.
pub const MIN_PREFIX: usize = 8;

/// A streaming key remover: [`push`](Self::push) each piece, then [`finish`](Self::finish).
/// The outputs joined equal [`Scrubber::whole`] of the pieces joined.
#[derive(Debug, Clone)]
pub struct Scrubber<'k> {
    key: &'k str,
    /// A tail of the text so far that begins the key and has not been settled.
    held: String,
}

impl<'k> Scrubber<'k> {
    /// A scrubber for `key`; with an empty key it passes everything through.
    pub fn new(key: &'k str) -> Self {
        Self {
            key,
            held: String::new(),
        }
    }

    /// `text` with the key removed, in one go.
    pub fn whole(key: &str, text: &str) -> String {
        let mut s = Scrubber::new(key);
        let mut out = String::with_capacity(text.len());
        s.push(text, &mut out);
        s.finish(&mut out);
        out
    }

    /// Append to `out` the part of `piece` (after what was held) that is settled.
    pub fn push(&mut self, piece: &str, out: &mut String) {
        if self.key.is_empty() {
            out.push_str(piece);
            return;
        }
        let mut text = std::mem::take(&mut self.held);
        text.push_str(piece);
        let mut rest = text.as_str();
        let first = self.key.chars().next().expect("a non-empty key");
        while let Some(at) = rest.find(first) {
            let m = common_prefix(&rest[at..], self.key);
            if m < self.key.len() && at + m == rest.len() {
                // The text ends inside what could still become the key: wait.
                out.push_str(&rest[..at]);
                self.held = rest[at..].to_string();
                return;
            }
            if m >= self.threshold() {
                out.push_str(&rest[..at]);
                out.push_str(REDACTED);
                rest = &rest[at + m..];
            } else {
                let next = at + first.len_utf8();
                out.push_str(&rest[..next]);
                rest = &rest[next..];
            }
        }
        out.push_str(rest);
    }

    /// Append what is still held: the text ended, so a held start of the key is either
    /// long enough to remove or harmless.
    pub fn finish(&mut self, out: &mut String) {
        let held = std::mem::take(&mut self.held);
        if held.len() >= self.threshold() {
            out.push_str(REDACTED);
        } else {
            out.push_str(&held);
        }
    }

    fn threshold(&self) -> usize {
        let cut = self
            .key
            .char_indices()
            .nth(MIN_PREFIX)
            .map_or(self.key.len(), |(i, _)| i);
        cut.max(1)
    }
}

/// Bytes at the start of `text` that equal the start of `key`, whole characters only.
fn common_prefix(text: &str, key: &str) -> usize {
    text.chars()
        .zip(key.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "sk-test-1234567890";

    fn pieces(parts: &[&str]) -> String {
        let mut s = Scrubber::new(KEY);
        let mut out = String::new();
        let mut seen = Vec::new();
        for p in parts {
            let before = out.len();
            s.push(p, &mut out);
            seen.push(out[before..].to_string());
        }
        s.finish(&mut out);
        for shown in seen {
            assert!(
                !shown.contains("sk-t"),
                "streamed a start of the key: {shown}"
            );
        }
        out
    }

    #[test]
    fn a_key_split_across_pieces_never_shows() {
        assert_eq!(
            pieces(&["我的密钥是 s", "k-te", "st-12345", "67890,", "记住了吗?"]),
            "我的密钥是 <已隐藏>,记住了吗?"
        );
    }

    #[test]
    fn a_long_start_of_the_key_is_removed_and_short_ones_pass() {
        assert_eq!(
            pieces(&["前缀 sk-test-12", "34 后面"]),
            "前缀 <已隐藏> 后面"
        );
        assert_eq!(pieces(&["sk-test-123"]), "<已隐藏>");
        assert_eq!(Scrubber::whole(KEY, "用 sk- 开头的"), "用 sk- 开头的");
        assert_eq!(Scrubber::whole(KEY, "ssk-test-1234567890s"), "s<已隐藏>s");
        assert_eq!(Scrubber::whole("", "原样"), "原样");
        assert_eq!(Scrubber::whole("密钥", "说出密钥来"), "说出<已隐藏>来");
    }

    proptest! {
        #[test]
        fn pieces_joined_equal_the_whole_and_hold_no_key(
            text in "[a-z0-9 -]{0,12}(sk-test-1234567890)?[\\p{Han}a-z -]{0,12}",
            cuts in proptest::collection::vec(0usize..40, 0..6),
        ) {
            let chars: Vec<char> = text.chars().collect();
            let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(chars.len())).collect();
            bounds.sort_unstable();
            let mut parts = Vec::new();
            let mut last = 0;
            for b in bounds.into_iter().chain([chars.len()]) {
                parts.push(chars[last..b].iter().collect::<String>());
                last = b;
            }
            let mut s = Scrubber::new(KEY);
            let mut out = String::new();
            for p in &parts {
                s.push(p, &mut out);
            }
            s.finish(&mut out);
            prop_assert_eq!(&out, &Scrubber::whole(KEY, &text));
            prop_assert!(!out.contains("sk-test-1"));
        }
    }
}
