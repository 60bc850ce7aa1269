//! Diagnostics for files a trainer writes: every problem names the file, the line and
//! column, the field (as a dotted path such as `reactions.apology.anger`) and what was
//! expected, so a trainer can fix a persona or rubric without guessing.
//!
//! This module knows TOML positions but nothing about personas or rubrics; the loaders
//! produce [`Problem`]s with a field path and this module turns paths into positions.
//! [`parse_toml`] is the one way a trainer's file becomes typed data: the slips of a
//! Chinese input method (`slips`), every syntax error the parser can recover from,
//! and every type error against the format's schema (`schema`), all at once.

mod schema;
mod slips;

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

pub use schema::nearest;

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

    /// The path a [`Diagnostic`]'s `field` shows (`scenarios[1].facts[0].answer`),
    /// read back: a problem found in one document can be placed in another.
    pub fn parse(shown: &str) -> Self {
        let mut segs = Vec::new();
        for part in shown.split('.').filter(|p| !p.is_empty()) {
            let mut rest = part;
            if let Some(open) = rest.find('[') {
                if open > 0 {
                    segs.push(Seg::Key(rest[..open].to_string()));
                }
                rest = &rest[open..];
                while let Some(inner) = rest.strip_prefix('[') {
                    let Some(close) = inner.find(']') else { break };
                    match inner[..close].parse() {
                        Ok(n) => segs.push(Seg::Index(n)),
                        Err(_) => segs.push(Seg::Key(inner[..close].to_string())),
                    }
                    rest = &inner[close + 1..];
                }
            } else {
                segs.push(Seg::Key(rest.to_string()));
            }
        }
        Self(segs)
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

/// `file:line:column:` first, which editors and terminals turn into a jump to the
/// place; then the same place in words a trainer reads, the field, and the message.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: 第 {} 行第 {} 列",
            self.file, self.line, self.column, self.line, self.column
        )?;
        // Fields and messages may hold a trainer's text (a key, a pattern): each place
        // that quotes one clips it, and this bounds what a forgotten place could print.
        if !self.field.is_empty() {
            write!(f, "（{}）", clip(&self.field))?;
        }
        write!(f, "\u{FF1A}{}", clip_to(&self.message, 8 * QUOTE_CHARS))
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
            text: without_bom(text),
            tree: std::cell::OnceCell::new(),
        }
    }

    fn tree(&self) -> Option<&toml::Spanned<DeTable<'a>>> {
        self.tree
            .get_or_init(|| Some(DeTable::parse_recoverable(self.text).0))
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
            // `[scenarios]` written for `[[scenarios]]` is read as a list of the one
            // table (see [`parse_toml`]): its item 0 is the table itself.
            if matches!(seg, Seg::Index(0))
                && table.is_some()
                && !std::ptr::eq(table?, tree.get_ref())
            {
                continue;
            }
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
    pub fn field_at(&self, offset: usize) -> String {
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

/// Parse a trainer's TOML file into `T`, or report every problem of it at once: the
/// input-method slips and syntax errors; when the syntax is sound, every type error
/// against `T`'s schema. `file` names it in the diagnostics.
///
/// Type errors whose meaning is plain (`anger = "六十"`) come back beside a `T` that
/// reads them as meant, so the caller's checks of values run too and the trainer sees
/// every problem in one go; the caller reports them with its own (see [`all_at_once`]).
pub fn parse_toml<T>(file: &str, text: &str) -> Result<(T, Vec<Diagnostic>), Diagnostics>
where
    T: serde::de::DeserializeOwned + schemars::JsonSchema,
{
    // Notepad saves "UTF-8 with BOM"; the mark is invisible and not TOML.
    let text = without_bom(text);
    // A sound file pays for one parse; the full report is for a broken one.
    let first = match toml::from_str(text) {
        Ok(v) => return Ok((v, Vec::new())),
        Err(e) => e,
    };
    let locator = Locator::new(file, text);
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(Diagnostics(syntax(&locator, text, &errors)));
    }
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    let found: Vec<Diagnostic> = schema::check(&schema, &doc)
        .iter()
        .map(|f| locator.at(f.offset, &f.field.to_string(), &f.message))
        .collect();
    if found.is_empty() {
        // The schema walk knows the shapes; serde has the last word on anything else.
        return Err(Diagnostics(vec![locator.from_toml_error(&first)]));
    }
    match schema::mend(&schema, &doc).and_then(|v| v.try_into::<T>().ok()) {
        Some(mended) => Ok((mended, found)),
        None => Err(Diagnostics(found)),
    }
}

/// The type errors [`parse_toml`] found and the caller's own problems, as one report;
/// `Ok` only when there are none.
pub fn all_at_once(mut found: Vec<Diagnostic>, more: Vec<Diagnostic>) -> Result<(), Diagnostics> {
    found.extend(more);
    if found.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(found))
    }
}

/// How many files one may stand on (`extends` of `extends` …), rubrics and personas
/// alike: a chain this deep is a mistake, and a bound keeps a crafted chain from
/// exhausting the stack.
pub const MAX_EXTENDS_DEPTH: usize = 8;

/// The message for an `extends` chain deeper than [`MAX_EXTENDS_DEPTH`].
pub fn extends_too_deep() -> String {
    format!(
        "继承层数太多（最多 {MAX_EXTENDS_DEPTH} 层）；an extends chain may be at most {MAX_EXTENDS_DEPTH} deep"
    )
}

/// The message for an `extends` chain that comes back to a file already in it
/// (rubrics and personas both inherit): the files of the loop by name, in order.
pub fn extends_cycle(chain: &[std::path::PathBuf], again: &std::path::Path) -> String {
    let names: Vec<String> = chain
        .iter()
        .map(|p| p.as_path())
        .chain([again])
        .map(|p| {
            p.file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned())
        })
        .collect();
    format!(
        "循环继承：{}；去掉其中一个 extends;extends makes a cycle",
        clip(&names.join(" → "))
    )
}

/// `text` without the byte-order mark some editors put first: positions are counted
/// as an editor shows them, without it.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// The syntax problems of a file the parser rejected: each slip the scan explains, and
/// the parser's errors on the other lines (one a line: after the first error of a line
/// the parser's recovery reports echoes of it).
fn syntax(locator: &Locator<'_>, text: &str, errors: &[toml::de::Error]) -> Vec<Diagnostic> {
    let slips = slips::scan(text);
    let mut out: Vec<Diagnostic> = slips
        .iter()
        .map(|s| locator.at(s.offset, "", &s.message))
        .collect();
    let mut lines: std::collections::HashSet<usize> = out.iter().map(|d| d.line).collect();
    // Past a list left open, the parser reads every line as one of its items.
    let echoes_from = slips
        .iter()
        .filter(|s| s.cascades)
        .map(|s| s.offset)
        .min()
        .unwrap_or(usize::MAX);
    for e in errors {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, _) = line_col(text, offset);
        let message = e.message().trim();
        // An unclosed bracket or string at the end is the echo of an earlier slip.
        if (!slips.is_empty() && message.starts_with("unclosed")) || offset >= echoes_from {
            continue;
        }
        if lines.insert(line) {
            let field = locator.field_at(offset);
            let mut message = translate_syntax_message(message);
            if message.contains("duplicate key") {
                let key: String = text[offset..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .take(QUOTE_CHARS)
                    .collect();
                let single = format!("[{key}]");
                let double = format!("[[{key}]]");
                let mixed = text.lines().any(|l| l.trim_end() == single)
                    && text.lines().any(|l| l.trim_end() == double);
                if mixed {
                    message = format!(
                        "表头 `{single}` 和 `{double}` 混用了：一组里的每一项都要用两层方括号 {double} 开头；duplicate key `{key}`"
                    );
                } else if !key.is_empty() {
                    message = format!("键 `{key}` {message}");
                }
            }
            out.push(locator.at(offset, &field, &message));
        }
    }
    out.sort_by_key(|d| (d.line, d.column));
    out.truncate(MAX_SYNTAX);
    out
}

/// The most syntax problems one file reports: past a screenful they are echoes.
const MAX_SYNTAX: usize = 50;

/// The TOML parser's messages, Chinese first, the original after.
fn translate_syntax_message(m: &str) -> String {
    const ZH: [(&str, &str); 16] = [
        (
            "missing comma between array elements",
            "列表的两项之间少了英文逗号 `,`",
        ),
        (
            "string values must be quoted",
            "文字要用英文双引号 `\"` 括起来",
        ),
        ("invalid basic string", "文字少了结尾的英文双引号 `\"`"),
        ("invalid literal string", "文字少了结尾的英文单引号 `'`"),
        ("key with no value", "这个键后面少了 `= 值`"),
        (
            "missing assignment between key-value pairs",
            "键和值之间少了英文等号 `=`",
        ),
        ("missing value", "等号后面少了值"),
        ("unclosed array", "列表少了结尾的 `]`"),
        ("unclosed inline table", "内联表少了结尾的 `}`"),
        ("unclosed table", "表头少了结尾的 `]`"),
        (
            "duplicate key",
            "写了两次：一个表里每个键只能出现一次，删掉其中一行",
        ),
        (
            "invalid unquoted key",
            "键名只能用英文字母、数字、`_` 和 `-`",
        ),
        (
            "unexpected `=` in array",
            "列表里不能写 `=`：是不是少了结尾的 `]`？",
        ),
        (
            "missing comma between key-value pairs",
            "内联表的两项之间少了英文逗号 `,`",
        ),
        (
            "invalid table header",
            "表头写法不对：写成 [名字] 或 [[名字]]",
        ),
        ("unexpected content", "这一行多了内容：一行只写一个 键 = 值"),
    ];
    let first = m.lines().next().unwrap_or(m);
    match ZH.iter().find(|(en, _)| first.starts_with(en)) {
        Some((_, zh)) => format!("{zh}；{}", clip(&m.replace('\n', " "))),
        None => format!("TOML 写法有误；{}", clip(&m.replace('\n', " "))),
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// The starter persona with a slip or a stray value anywhere: loading it never
        /// panics, and what it says fits on a screen.
        #[test]
        fn a_slip_anywhere_in_a_persona_is_reported_not_a_panic(
            at in 0usize..6000,
            slip in proptest::sample::select(vec![
                "\u{FF0C}", "\u{FF1A}", "\u{FF1D}", "\u{201C}", "\"", "'", "[", "]", "{",
                "\u{516D}\u{5341}", "\n", "=", "\\", "#", "\n[mood]\n", "\"x\"", "-1",
            ]),
        ) {
            let mut text = include_str!("../persona/starter.toml").replace("{id}", "t");
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, slip);
            let rubric = crate::rubric::default_rubric();
            if let Err(d) = crate::persona::load_persona_text("t.toml", &text, rubric) {
                proptest::prop_assert!(!d.0.is_empty());
                proptest::prop_assert!(d.to_string().len() < 200_000);
            }
        }
    }

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
        assert_eq!(
            d.to_string(),
            "x.toml:7:1: 第 7 行第 1 列\u{FF08}scenarios[1].id\u{FF09}\u{FF1A}dup"
        );
    }
}
