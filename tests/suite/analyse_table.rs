//! The default rubric against a table of utterances as trainees really type them
//! (`tests/data/utterances.toml`): each case lists kinds that must be found and kinds
//! that must not, and optionally `quotes`: the exact text some signal must span (what a
//! scorecard quotes back). Runs the real binary once over the whole table.
//!
//! The cases follow `rubrics/acts.md`; none of them is a training example.

use crate::common;

use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
    #[serde(default)]
    quotes: Vec<String>,
}

#[test]
fn default_rubric_classifies_the_utterance_table() {
    let raw = std::fs::read_to_string(common::repo("tests/data/utterances.toml")).unwrap();
    let table: Table = toml::from_str(&raw).unwrap();
    assert!(table.case.len() >= 200, "only {} cases", table.case.len());
    let input: String = table.case.iter().map(|c| format!("{}\n", c.text)).collect();
    let out = common::peilian()
        .args(["analyze", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let results: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), table.case.len());
    let mut failures = Vec::new();
    for (case, got) in table.case.iter().zip(&results) {
        let found: Vec<&str> = got["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        let missing: Vec<&String> = case
            .kinds
            .iter()
            .filter(|k| !found.contains(&k.as_str()))
            .collect();
        let wrong: Vec<&String> = case
            .not
            .iter()
            .filter(|k| found.contains(&k.as_str()))
            .collect();
        let spans: Vec<&str> = got["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let (a, b) = (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap());
                &case.text[a as usize..b as usize]
            })
            .collect();
        let unquoted: Vec<&String> = case
            .quotes
            .iter()
            .filter(|q| !spans.contains(&q.as_str()))
            .collect();
        if !missing.is_empty() || !wrong.is_empty() || !unquoted.is_empty() {
            failures.push(format!(
                "「{}」 found {found:?} spanning {spans:?}; missing {missing:?}; \
                 must not have {wrong:?}; no span quoting {unquoted:?}",
                case.text
            ));
        }
    }
    // The reading is learned, not a rule per case: it holds a measured floor here (404
    // of 420 when it landed; the held-out sets in tests/suite/reading.rs are what judge it),
    // and every failing case is listed so a change that breaks more shows which.
    let passed = table.case.len() - failures.len();
    assert!(
        passed * 100 >= table.case.len() * 96,
        "{passed} of {} cases pass (floor 96%); failing:\n{}",
        table.case.len(),
        failures.join("\n")
    );
}

/// Chinese input methods type full-width punctuation: every line of the table reads the
/// same (same kinds, same rules) typed with `，？！；` as with `,?!;`. The rubric's
/// punctuation classes once listed the ASCII marks twice, so `……对吧？` was no
/// restatement while `……对吧?` was.
#[test]
fn full_width_punctuation_reads_like_ascii() {
    let raw = std::fs::read_to_string(common::repo("tests/data/utterances.toml")).unwrap();
    let table: Table = toml::from_str(&raw).unwrap();
    const PAIRS: [(char, char); 5] = [
        (',', '\u{FF0C}'),
        ('?', '\u{FF1F}'),
        ('!', '\u{FF01}'),
        (';', '\u{FF1B}'),
        ('~', '\u{FF5E}'),
    ];
    let wide = |t: &str| -> String {
        t.chars()
            .map(|c| PAIRS.iter().find(|p| p.0 == c).map_or(c, |p| p.1))
            .collect()
    };
    let narrow = |t: &str| -> String {
        t.chars()
            .map(|c| PAIRS.iter().find(|p| p.1 == c).map_or(c, |p| p.0))
            .collect()
    };
    let rubric = peilian::rubric::default_rubric();
    let rules = |t: &str| -> Vec<String> {
        rubric
            .analyse(t)
            .iter()
            .map(|s| rubric.rule(s).id.clone())
            .collect()
    };
    let mut differ = Vec::new();
    for c in &table.case {
        let (a, w) = (narrow(&c.text), wide(&c.text));
        if rules(&a) != rules(&w) {
            differ.push(format!("{}: {:?} vs {:?}", c.text, rules(&a), rules(&w)));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
}

/// Invisible characters do not hide a 禁语: a zero-width space, joiner, BOM or
/// direction mark inside the phrase finds the same rule, with spans on the text as typed.
#[test]
fn invisible_characters_do_not_hide_a_forbidden_phrase() {
    let rubric = peilian::rubric::default_rubric();
    for c in ['\u{200B}', '\u{200D}', '\u{FEFF}', '\u{202E}'] {
        let plain = "公司的规定就是这样的";
        let hidden: String = plain
            .chars()
            .enumerate()
            .flat_map(|(i, ch)| if i == 4 { vec![c, ch] } else { vec![ch] })
            .collect();
        let rules = |t: &str| -> Vec<String> {
            rubric
                .analyse(t)
                .iter()
                .map(|s| {
                    assert!(t.is_char_boundary(s.start) && t.is_char_boundary(s.end));
                    rubric.rule(s).id.clone()
                })
                .collect()
        };
        assert_eq!(rules(&hidden), rules(plain), "{:?}", hidden);
        assert!(rules(&hidden).iter().any(|r| r.starts_with("forbidden.")));
    }
}
