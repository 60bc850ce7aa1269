//! What the benchmarks share: a corpus of trainee lines as trainees type them.

use peilian::persona::Catalog;

/// The utterance table plus every self-check line of the personas in `catalog`.
pub fn trainee_lines(catalog: &Catalog) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Table {
        case: Vec<Case>,
    }
    #[derive(serde::Deserialize)]
    struct Case {
        text: String,
    }
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/utterances.toml"
    ))
    .expect("tests/data/utterances.toml");
    let table: Table = toml::from_str(&raw).expect("utterance table parses");
    let mut lines: Vec<String> = table.case.into_iter().map(|c| c.text).collect();
    for e in catalog.entries() {
        for c in &e.persona.checks {
            lines.extend(c.lines.iter().cloned());
        }
    }
    lines
}
