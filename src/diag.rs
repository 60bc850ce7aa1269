//! Diagnostics for files a trainer writes: every problem names the file, the line and
//! column, the field (as a dotted path such as `reactions.apology.anger`) and what was
//! expected, so a trainer can fix a persona or rubric without guessing.
//!
//! This module knows TOML positions but nothing about personas or rubrics; the loaders
//! produce [`Problem`]s with a field path and this module turns paths into positions.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A field path inside a TOML document, e.g. `scenarios[1].facts[0].answer`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// A child path under a key.
    pub fn key(&self, key: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(key.to_string()));
        Self(v)
    }

    /// A child path under an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        Self(v)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem in one file, before it is given a position.
#[derive(Debug, Clone)]
pub struct Problem {
    pub field: FieldPath,
    pub message: String,
}

impl Problem {
    pub fn new(field: FieldPath, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A located problem: what a trainer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it (or `personas/x.toml` for a built-in file).
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Dotted field path; empty for whole-file problems such as a syntax error.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        // Fields and messages may hold a trainer's text (a key, a pattern): each place
        // that quotes one clips it, and this bounds what a forgotten place could print.
        if !self.field.is_empty() {
            write!(f, "{}: ", clip(&self.field))?;
        }
        write!(f, "{}", clip_to(&self.message, 8 * QUOTE_CHARS))
    }
}

/// Every problem found in one or more files; a loader reports all it could find at once.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The most characters of a trainer's text a message quotes: a megabyte pasted into a
/// pattern must not become a megabyte of error message.
pub const QUOTE_CHARS: usize = 80;

/// `text` as a message quotes it: whole if short, else its first [`QUOTE_CHARS`]
/// characters and how long it is.
pub fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    clip_to(text, QUOTE_CHARS)
}

fn clip_to(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((cut, _)) => format!("{}…（共 {} 个字符）", &text[..cut], text.chars().count()).into(),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Turns field paths into positions in one TOML text.
///
/// The document is parsed a second time, into a spanned tree, only when a problem needs
/// locating: valid files pay nothing.
pub struct Locator<'a> {
    file: String,
    text: &'a str,
    tree: std::cell::OnceCell<Option<toml::Spanned<DeTable<'a>>>>,
}

impl<'a> Locator<'a> {
    pub fn new(file: impl Into<String>, text: &'a str) -> Self {
        Self {
            file: file.into(),
            text,
            tree: std::cell::OnceCell::new(),
        }
    }

    fn tree(&self) -> Option<&toml::Spanned<DeTable<'a>>> {
        self.tree
            .get_or_init(|| DeTable::parse(self.text).ok())
            .as_ref()
    }

    /// Position a problem at its field, or at the nearest enclosing field that exists
    /// (a missing key is reported where its table starts).
    pub fn locate(&self, p: &Problem) -> Diagnostic {
        let span = self.span_of(&p.field).unwrap_or(0..0);
        self.at(span.start, &p.field.to_string(), &p.message)
    }

    /// A diagnostic at a byte offset.
    pub fn at(&self, offset: usize, field: &str, message: &str) -> Diagnostic {
        let (line, column) = line_col(self.text, offset);
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    fn span_of(&self, path: &FieldPath) -> Option<Range<usize>> {
        let tree = self.tree()?;
        let mut best = tree.span();
        let mut table: Option<&DeTable<'_>> = Some(tree.get_ref());
        let mut value: Option<&DeValue<'_>> = None;
        for seg in &path.0 {
            let next = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => {
                    t.iter()
                        .find(|(key, _)| key.get_ref().as_ref() == k)
                        .map(|(key, v)| {
                            // Point at the key for scalars: that is where the eye looks.
                            (key.span(), v)
                        })
                }
                (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(*i).map(|v| (v.span(), v)),
                _ => None,
            };
            let Some((span, v)) = next else { break };
            best = span;
            match v.get_ref() {
                DeValue::Table(t) => {
                    table = Some(t);
                    value = None;
                }
                other => {
                    table = None;
                    value = Some(other);
                }
            }
        }
        Some(best)
    }

    /// Convert a TOML parse or deserialisation error, which carries its own span.
    pub fn from_toml_error(&self, e: &toml::de::Error) -> Diagnostic {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_string();
        let field = self.field_at(offset);
        self.at(offset, &field, &translate_serde_message(&message))
    }

    /// The dotted path of the innermost key at or around `offset`, for errors the TOML
    /// deserialiser reports by position only. Header tables (`[mood]`) have spans that
    /// do not cover their bodies, so the search descends by the children's spans.
    fn field_at(&self, offset: usize) -> String {
        let Some(tree) = self.tree() else {
            return String::new();
        };
        let mut best = None;
        search_table(tree.get_ref(), &FieldPath::root(), offset, &mut best);
        best.map(|p| p.to_string()).unwrap_or_default()
    }
}

fn contains(s: &Range<usize>, offset: usize) -> bool {
    s.start <= offset && offset < s.end.max(s.start + 1)
}

/// Depth-first: the last (deepest) key or value whose span contains `offset` wins.
fn search_table(t: &DeTable<'_>, at: &FieldPath, offset: usize, best: &mut Option<FieldPath>) {
    for (key, v) in t.iter() {
        let here = at.key(key.get_ref());
        if contains(&key.span(), offset) || contains(&v.span(), offset) {
            *best = Some(here.clone());
        }
        search_value(v.get_ref(), &here, offset, best);
    }
}

fn search_value(v: &DeValue<'_>, at: &FieldPath, offset: usize, best: &mut Option<FieldPath>) {
    match v {
        DeValue::Table(t) => search_table(t, at, offset, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                let here = at.index(i);
                if contains(&item.span(), offset) {
                    *best = Some(here.clone());
                }
                search_value(item.get_ref(), &here, offset, best);
            }
        }
        _ => {}
    }
}

/// serde's messages are English; the ones a trainer meets most get a Chinese lead-in.
fn translate_serde_message(m: &str) -> String {
    if m.starts_with("unknown field") {
        format!("未知字段（拼写错误？） — {m}")
    } else if m.starts_with("missing field") {
        format!("缺少必填字段 — {m}")
    } else if m.starts_with("invalid type") {
        format!("类型不对 — {m}")
    } else if m.starts_with("unknown variant") {
        format!("取值不在允许范围 — {m}")
    } else {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let t = "a = 1\n名字 = \"x\"\n";
        assert_eq!(line_col(t, 0), (1, 1));
        let off = t.find('=').unwrap();
        assert_eq!(line_col(t, off), (1, 3));
        let off = t.rfind('=').unwrap();
        assert_eq!(line_col(t, off), (2, 4));
    }

    #[test]
    fn locates_nested_fields_and_array_items() {
        let t = "id = \"x\"\n[reactions.apology]\nanger = 500\n[[scenarios]]\nid = \"a\"\n[[scenarios]]\nid = \"b\"\n";
        let loc = Locator::new("x.toml", t);
        let p = Problem::new(
            FieldPath::root()
                .key("reactions")
                .key("apology")
                .key("anger"),
            "expected",
        );
        let d = loc.locate(&p);
        assert_eq!((d.line, d.column), (3, 1));
        assert_eq!(d.field, "reactions.apology.anger");
        let p = Problem::new(FieldPath::root().key("scenarios").index(1).key("id"), "dup");
        let d = loc.locate(&p);
        assert_eq!(d.line, 7);
        assert_eq!(d.to_string(), "x.toml:7:1: scenarios[1].id: dup");
    }
}
