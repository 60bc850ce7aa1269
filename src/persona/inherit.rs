//! A persona that starts from another: `extends = "emotional"` (a built-in id) or
//! `extends = "elderly.toml"` (a file beside this one), then only what differs.
//!
//! A trainer who wants "感情用事, but about a gas bill" should not copy 300 lines of
//! reactions and line pools. The two files are merged as documents: tables merge key
//! by key (`[mood]`, `[lines]`, `[reactions.empathy]` …), while a value or a list
//! written in the new file replaces the inherited one whole (`scenarios`, a line pool).
//! Self-checks and aliases are not inherited: they belong to the file that writes them.
//!
//! The merged document is then loaded like any persona; each problem is reported in
//! the file that wrote the field, or, for a field only the base has, on the `extends`
//! line with the base named.

use std::path::{Path, PathBuf};

use crate::diag::{
    Diagnostic, Diagnostics, FieldPath, Locator, MAX_EXTENDS_DEPTH, Problem, Seg, clip, without_bom,
};

/// A persona document with its bases merged in.
pub(super) struct Merged {
    /// The effective document, as TOML text (positions in it mean nothing to a
    /// trainer: [`Merged::relocate`] maps problems back to the files).
    pub text: String,
    /// This file's text followed by its bases': what the transcript's hash covers, so
    /// a changed base is a changed persona.
    pub content: String,
    /// The base as named in messages.
    pub base_file: String,
}

/// The built-in persona a bare id names, as (file shown in messages, text).
type Builtin = fn(&str) -> Option<(&'static str, &'static str)>;

/// If `text` has a top-level `extends`, the document merged over its base; `None`
/// when it extends nothing (or cannot be parsed: the ordinary load reports why).
pub(super) fn resolve(
    file: &str,
    text: &str,
    builtin: Builtin,
    chain: &mut Vec<PathBuf>,
) -> Result<Option<Merged>, Diagnostics> {
    let text = without_bom(text);
    let Ok(mut own) = toml::from_str::<toml::Table>(text) else {
        return Ok(None);
    };
    let Some(extends) = own.remove("extends") else {
        return Ok(None);
    };
    let locator = Locator::new(file, text);
    let at = |field: &str, msg: String| {
        Diagnostics(vec![
            locator.locate(&Problem::new(FieldPath::root().key(field), msg)),
        ])
    };
    let Some(name) = extends.as_str().map(str::trim) else {
        return Err(at(
            "extends",
            "要写内置客户的编号或另一个画像文件的路径，加英文引号，如 extends = \"emotional\";expected a string".into(),
        ));
    };
    for key in ["id", "name"] {
        if !own.contains_key(key) {
            return Err(at(
                key,
                format!(
                    "继承别的客户时也要写自己的 `{key}`，免得和被继承的客户混在一起；`{key}` is required"
                ),
            ));
        }
    }
    let (base_file, base_text) = base_text(file, name, builtin, chain).map_err(|e| match e {
        Ok(msg) => at("extends", msg),
        Err(d) => d,
    })?;
    // The base may stand on another: resolve it the same way, then check it loads on
    // its own terms before anything is built on it.
    let (mut base, base_content) = match resolve(&base_file, &base_text, builtin, chain)? {
        Some(m) => (parse(&m.text), m.content),
        None => match toml::from_str::<toml::Table>(without_bom(&base_text)) {
            Ok(t) => (t, base_text.clone()),
            Err(_) => {
                return Err(at(
                    "extends",
                    format!(
                        "要继承的客户文件「{}」本身写得不对，先用 `peilian persona validate` 检查它；the base persona does not parse",
                        clip(&base_file)
                    ),
                ));
            }
        },
    };
    chain.pop();
    // Self-checks test the file that writes them; aliases select one persona by name,
    // and two answering to 「感情用事」 would make the menu guess.
    base.remove("checks");
    base.remove("aliases");
    merge(&mut base, own);
    let merged = toml::to_string(&base).map_err(|e| at("extends", e.to_string()))?;
    Ok(Some(Merged {
        text: merged,
        content: format!("{text}\n#extends {base_file}\n{base_content}"),
        base_file,
    }))
}

fn parse(text: &str) -> toml::Table {
    toml::from_str(without_bom(text)).unwrap_or_default()
}

/// The base's file name and text: a built-in id, else a path relative to `file`'s
/// directory. `Err(Ok(msg))` is a problem of the `extends` line itself.
fn base_text(
    file: &str,
    name: &str,
    builtin: Builtin,
    chain: &mut Vec<PathBuf>,
) -> Result<(String, String), Result<String, Diagnostics>> {
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return Err(Ok(crate::diag::extends_too_deep()));
    }
    if let Some((f, t)) = builtin(name) {
        // A placeholder keeps the chain's depth honest for built-in bases too.
        chain.push(PathBuf::from(f));
        return Ok((f.to_string(), t.to_string()));
    }
    let path = Path::new(file).parent().unwrap_or(Path::new("")).join(name);
    let Ok(canonical) = path.canonicalize() else {
        return Err(Ok(format!(
            "找不到要继承的客户「{}」：既不是内置客户的编号（emotional、righteous、stubborn、self-absorbed、prepared、influential），也不是文件（路径相对本文件所在目录）；no such persona",
            clip(name)
        )));
    };
    if let Some(i) = chain.iter().position(|c| *c == canonical) {
        return Err(Ok(crate::diag::extends_cycle(&chain[i..], &canonical)));
    }
    let shown = path.display().to_string();
    let text = crate::files::read_text_file(&path).map_err(|e| Ok(format!("{e}")))?;
    chain.push(canonical);
    Ok((shown, text))
}

/// `own` over `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, own: toml::Table) {
    for (key, value) in own {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

impl Merged {
    /// Problems found in the merged document, placed in the file that wrote the field:
    /// this one where it writes the field (or the table around it), else the
    /// `extends` line, naming the base the field came from.
    pub fn relocate(&self, file: &str, text: &str, found: Vec<Diagnostic>) -> Diagnostics {
        let text = without_bom(text);
        let locator = Locator::new(file, text);
        let own: toml::Table = parse(text);
        let out = found
            .into_iter()
            .map(|d| {
                let path = FieldPath::parse(&d.field);
                if written_in(&own, &path) {
                    locator.locate(&Problem::new(path, d.message))
                } else {
                    let extends = FieldPath::root().key("extends");
                    let mut located = locator.locate(&Problem::new(extends, String::new()));
                    located.field = d.field;
                    located.message = format!(
                        "{}（这一项继承自 {}：在本文件里重写它，或在本文件里补上它要用的内容）",
                        d.message,
                        clip(&self.base_file)
                    );
                    located
                }
            })
            .collect();
        Diagnostics(out)
    }
}

/// Whether this file writes the first key of `path` (then the problem is its own:
/// a scenario it wrote lacks a field, a pool it replaced is empty).
fn written_in(own: &toml::Table, path: &FieldPath) -> bool {
    match path.0.first() {
        Some(Seg::Key(k)) => match (own.get(k), path.0.get(1)) {
            // `[mood]` written here with only `anger`: `mood.accept_below` is the base's.
            (Some(toml::Value::Table(t)), Some(Seg::Key(k2))) => t.contains_key(k2),
            (Some(_), _) => true,
            (None, _) => false,
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_merge_and_lists_replace() {
        let mut base: toml::Table =
            toml::from_str("[mood]\nanger = 60\ntrust = 20\n[lines]\nvent = ['a', 'b']\n").unwrap();
        let own: toml::Table =
            toml::from_str("[mood]\nanger = 70\n[lines]\nvent = ['c']\n").unwrap();
        merge(&mut base, own);
        assert_eq!(base["mood"]["anger"].as_integer(), Some(70));
        assert_eq!(base["mood"]["trust"].as_integer(), Some(20));
        assert_eq!(base["lines"]["vent"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_field_written_here_is_this_files_problem() {
        let own: toml::Table = toml::from_str("[mood]\nanger = 70\n").unwrap();
        assert!(written_in(&own, &FieldPath::parse("mood.anger")));
        assert!(!written_in(&own, &FieldPath::parse("mood.accept_below")));
        assert!(!written_in(&own, &FieldPath::parse("needs[1].when")));
    }
}
