//! Property tests: the analyser takes any text a trainee can type or paste.

use crate::common;

use peilian::rubric::default_rubric;
use proptest::prelude::*;

fn check_spans(text: &str) {
    for s in default_rubric().analyse(text) {
        assert!(s.start < s.end, "empty span in {text:?}");
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        assert!(s.end <= text.len());
    }
}

/// Text drawn from rubric-like fragments, controls and other scripts, so that hits,
/// near-hits and exceptions are all exercised, not only random noise.
fn utterance() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("您好".to_string()),
        Just("公司的规定就是这样的".to_string()),
        Just("按照公司规定,您可以".to_string()),
        Just("非常理解您的心情".to_string()),
        Just("感谢您的理解".to_string()),
        Just("不清楚".to_string()),
        Just("24小时内".to_string()),
        Just("两个工作日".to_string()),
        Just("\u{1b}[31m".to_string()),
        Just("\u{0}\u{7}\r\t".to_string()),
        Just("😀🇨🇳".to_string()),
        Just("مرحبا".to_string()),
        "\\PC{0,8}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn analyse_never_panics_and_spans_are_char_boundaries(text in utterance()) {
        check_spans(&text);
    }

    #[test]
    fn analyse_is_deterministic(text in utterance()) {
        prop_assert_eq!(default_rubric().analyse(&text), default_rubric().analyse(&text));
    }
}

#[test]
fn a_one_megabyte_line() {
    let mut text = "您好,".repeat(10);
    while text.len() < 1 << 20 {
        text.push_str("公司的规定就是这样的,非常理解您的心情。\u{0}abc");
    }
    check_spans(&text);
    assert!(!default_rubric().analyse(&text).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Arbitrary bytes on stdin, invalid UTF-8 included: one JSON object per line, exit 0.
    #[test]
    fn cli_answers_every_line_of_arbitrary_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..200), 1..20)) {
        let mut input = Vec::new();
        for l in &lines {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        let out = common::peilian().args(["analyze", "--json"]).write_stdin(input).output().unwrap();
        prop_assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        prop_assert_eq!(text.lines().count(), lines.len());
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            prop_assert!(v["signals"].is_array());
        }
    }
}
