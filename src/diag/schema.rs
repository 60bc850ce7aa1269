//! Every type error of a TOML document at once, found by walking the document beside
//! the JSON Schema its format derives (`schemars`). serde stops at the first error; a
//! trainer who wrote `anger = "六十"` and `patience = 十二` and misspelt a field wants
//! all three, each with what to type instead.
//!
//! The schema is the one the editors read (`persona.schema.json`), so the file format
//! has one definition. Only the shapes the formats use are understood: objects with
//! properties, required fields and `additionalProperties`, arrays, strings with `enum`
//! or `oneOf` constants, integers with a `format` and `minimum`, numbers, booleans and
//! `$ref`. Anything else is let through; serde, run afterwards, has the last word.

use serde_json::Value as Json;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::slips::{chinese_bool, chinese_number};
use super::{FieldPath, clip};

/// One type error: where, which field, and what to write instead.
#[derive(Debug, Clone)]
pub struct Found {
    pub offset: usize,
    pub field: FieldPath,
    pub message: String,
}

/// The most type errors one file reports.
const MAX_FOUND: usize = 100;

/// Every type error of `doc` against `schema` (a schemars root schema).
pub fn check(schema: &Json, doc: &Spanned<DeTable<'_>>) -> Vec<Found> {
    let mut w = Walker {
        root: schema,
        out: Vec::new(),
    };
    w.table(schema, doc.get_ref(), &FieldPath::root(), 0);
    w.out.sort_by_key(|f| f.offset);
    w.out
}

struct Walker<'s> {
    root: &'s Json,
    out: Vec<Found>,
}

/// What a schema asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Object,
    Array,
    String,
    Integer { min: i64, max: i64 },
    Number,
    Boolean,
    Any,
}

impl Want {
    fn zh(self) -> &'static str {
        match self {
            Want::Object => "一个表（[名字] 下面一行一个 键 = 值）",
            Want::Array => "一个列表 [ … ]",
            Want::String => "一段文字（用英文双引号括起来）",
            Want::Integer { .. } => "一个整数（阿拉伯数字，不加引号）",
            Want::Number => "一个数（阿拉伯数字，不加引号）",
            Want::Boolean => "true 或 false",
            Want::Any => "一个值",
        }
    }
}

impl<'s> Walker<'s> {
    fn push(&mut self, offset: usize, field: &FieldPath, message: String) {
        if self.out.len() < MAX_FOUND {
            self.out.push(Found {
                offset,
                field: field.clone(),
                message,
            });
        }
    }

    /// `s` with its `$ref`s followed.
    fn resolve(&self, mut s: &'s Json) -> &'s Json {
        for _ in 0..8 {
            let Some(r) = s.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let name = r.trim_start_matches("#/$defs/");
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(def) => s = def,
                None => break,
            }
        }
        s
    }

    fn want(&self, s: &'s Json) -> Want {
        let s = self.resolve(s);
        let ty = match s.get("type") {
            Some(Json::String(t)) => Some(t.as_str()),
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).find(|t| *t != "null"),
            _ => None,
        };
        match ty {
            Some("object") => Want::Object,
            Some("array") => Want::Array,
            Some("string") => Want::String,
            Some("integer") => {
                let (lo, hi) = match s.get("format").and_then(Json::as_str) {
                    Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    Some("uint32") => (0, i64::from(u32::MAX)),
                    Some("uint64") | Some("uint") => (0, i64::MAX),
                    _ => (i64::MIN, i64::MAX),
                };
                let min = s.get("minimum").and_then(Json::as_i64).unwrap_or(lo);
                Want::Integer {
                    min: min.max(lo),
                    max: hi,
                }
            }
            Some("number") => Want::Number,
            Some("boolean") => Want::Boolean,
            _ if !choices(s).is_empty() => Want::String,
            _ => Want::Any,
        }
    }

    fn table(&mut self, s: &'s Json, t: &DeTable<'_>, at: &FieldPath, anchor: usize) {
        let s = self.resolve(s);
        let props = s.get("properties").and_then(Json::as_object);
        let extra = s.get("additionalProperties");
        // A missing field that a misspelt one stands for is said once, at the misspelling.
        let mut meant = Vec::new();
        for (key, v) in t.iter() {
            let name: &str = key.get_ref();
            let here = at.key(name);
            match props.and_then(|p| p.get(name)) {
                Some(ps) => self.value(ps, v, &here, key.span().start),
                None => match extra {
                    Some(Json::Bool(false)) => {
                        let known = props.into_iter().flat_map(|p| p.keys().map(String::as_str));
                        meant.extend(nearest(name, known));
                        let msg = self.unknown(s, name, at);
                        self.push(key.span().start, &here, msg);
                    }
                    Some(extra @ Json::Object(_)) => {
                        self.value(extra, v, &here, key.span().start);
                    }
                    _ => {}
                },
            }
        }
        if let Some(required) = s.get("required").and_then(Json::as_array) {
            for r in required.iter().filter_map(Json::as_str) {
                if !t.iter().any(|(k, _)| k.get_ref().as_ref() == r) && !meant.contains(&r) {
                    let place = if at.0.is_empty() {
                        "文件开头（第一个 [表] 之前）".to_string()
                    } else {
                        format!(" [{}] 里", header(at))
                    };
                    self.push(
                        anchor,
                        at,
                        format!("缺少必填字段 `{r}`：在{place}加上 `{r} = …`;missing field `{r}`"),
                    );
                }
            }
        }
    }

    /// What to say about a key the table does not know: the nearest known name, or the
    /// table below where it belongs, or the names there are.
    fn unknown(&self, s: &'s Json, name: &str, at: &FieldPath) -> String {
        let props: Vec<&str> = s
            .get("properties")
            .and_then(Json::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let shown = clip(name);
        if let Some(near) = nearest(name, props.iter().copied()) {
            return format!(
                "不认识的字段 `{shown}`，是不是 `{near}`？；unknown field, did you mean `{near}`"
            );
        }
        // A key written above its table's header belongs to that table.
        if let Some(p) = s.get("properties").and_then(Json::as_object) {
            for (child, cs) in p {
                let cs = self.resolve(cs);
                if cs
                    .get("properties")
                    .and_then(Json::as_object)
                    .is_some_and(|cp| cp.contains_key(name))
                {
                    let under = header(&at.key(child));
                    return format!(
                        "字段 `{shown}` 不属于这里，应该写在 [{under}] 下面；unknown field here, it belongs under [{under}]"
                    );
                }
            }
        }
        let at_root = self
            .root
            .get("properties")
            .and_then(Json::as_object)
            .is_some_and(|p| p.contains_key(name));
        if at_root && !at.0.is_empty() {
            return format!(
                "字段 `{shown}` 不属于这里，应该写在文件开头（第一个 [表] 之前）；unknown field here, it belongs at the top of the file"
            );
        }
        if let Some(home) = self.home_of(name) {
            return format!(
                "字段 `{shown}` 不属于这里，应该写在 [{home}] 下面；unknown field here, it belongs under [{home}]"
            );
        }
        format!(
            "不认识的字段 `{shown}`；这里可以写的有：{};unknown field",
            props.join("、")
        )
    }

    /// The table of the format that has a field `name` (breadth first, so the
    /// shallowest), as its header: `walk_out_at` lives in `[mood]`.
    fn home_of(&self, name: &str) -> Option<String> {
        let mut queue: std::collections::VecDeque<(&'s Json, Vec<&'s str>)> =
            std::collections::VecDeque::from([(self.root, Vec::new())]);
        let mut steps = 0;
        while let Some((s, path)) = queue.pop_front() {
            steps += 1;
            if steps > 200 || path.len() > 3 {
                break;
            }
            let s = self.resolve(s);
            let s = s.get("items").map_or(s, |i| self.resolve(i));
            let Some(props) = s.get("properties").and_then(Json::as_object) else {
                continue;
            };
            if !path.is_empty() && props.contains_key(name) {
                return Some(path.join("."));
            }
            for (k, v) in props {
                let mut p = path.clone();
                p.push(k.as_str());
                queue.push_back((v, p));
            }
        }
        None
    }

    fn value(&mut self, s: &'s Json, v: &Spanned<DeValue<'_>>, at: &FieldPath, anchor: usize) {
        let s = self.resolve(s);
        let want = self.want(s);
        let offset = v.span().start;
        match (want, v.get_ref()) {
            (Want::Any, _) => {}
            (Want::Object, DeValue::Table(t)) => self.table(s, t, at, anchor),
            (Want::Array, DeValue::Array(items)) => {
                if let Some(item) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.value(item, x, &at.index(i), x.span().start);
                    }
                }
            }
            (Want::String, DeValue::String(text)) => {
                let allowed = choices(s);
                if !allowed.is_empty() && !allowed.contains(&text.as_ref()) {
                    let near = nearest(text, allowed.iter().copied())
                        .map(|n| format!("是不是 `{n}`？"))
                        .unwrap_or_default();
                    let msg = format!(
                        "「{}」不是可选的值，{near}可以写：{};expected one of {}",
                        clip(text),
                        allowed.join("、"),
                        allowed.join(", ")
                    );
                    self.push(offset, at, msg);
                }
            }
            (Want::Integer { min, max }, DeValue::Integer(n)) => {
                let digits: String = n.as_str().chars().filter(|c| *c != '_').collect();
                let parsed = i64::from_str_radix(&digits, n.radix()).ok();
                match parsed {
                    Some(x) if x < min && min == 0 => self.push(
                        offset,
                        at,
                        format!("这里要写 0 或更大的整数，现在是 {x};expected a whole number ≥ 0"),
                    ),
                    Some(x) if (min..=max).contains(&x) => {}
                    _ => self.push(
                        offset,
                        at,
                        format!(
                            "数太大了（「{}」）：要在 {min} 到 {max} 之间；expected an integer from {min} to {max}",
                            clip(n.as_str())
                        ),
                    ),
                }
            }
            (Want::Number, DeValue::Integer(_) | DeValue::Float(_)) => {}
            (Want::Boolean, DeValue::Boolean(_)) => {}
            (want, got) => {
                let msg = mismatch(want, got, at);
                self.push(offset, at, msg);
            }
        }
    }
}

/// The allowed strings of an enum schema.
fn choices(s: &Json) -> Vec<&str> {
    if let Some(e) = s.get("enum").and_then(Json::as_array) {
        return e.iter().filter_map(Json::as_str).collect();
    }
    s.get("oneOf")
        .and_then(Json::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|x| x.get("const").and_then(Json::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// A table's header as a trainer writes it: `scenarios[1].policy` is under
/// `[scenarios.policy]` (the line number says which scenario).
fn header(at: &FieldPath) -> String {
    at.0.iter()
        .filter_map(|seg| match seg {
            super::Seg::Key(k) => Some(k.as_str()),
            super::Seg::Index(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The nearest of `known` to `name` by edit distance, if near enough to be a slip
/// (`walkout_at` → `walk_out_at`), never the name itself.
pub fn nearest<'k>(name: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let name_l = name.to_lowercase();
    // A third of the name, so `id` is not offered for any two letters; a swapped pair
    // (`patinece`) counts as one edit.
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(&name_l, k), k))
        .filter(|(d, k)| *d <= limit && *k != name)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// What to write instead of a value of the wrong type.
fn mismatch(want: Want, got: &DeValue<'_>, at: &FieldPath) -> String {
    match (want, got) {
        (Want::Integer { .. } | Want::Number, DeValue::String(s)) => {
            if let Some(n) = chinese_number(s) {
                format!(
                    "数字要用阿拉伯数字，不加引号：写 {n}，不是 \"{}\";expected a number such as {n}",
                    clip(s)
                )
            } else if s.trim().parse::<f64>().is_ok() {
                format!(
                    "数字不要加引号：写 {};expected a number, not a string",
                    clip(s.trim())
                )
            } else {
                format!(
                    "这里要写{}，现在是文字 \"{}\";expected a number",
                    want.zh(),
                    clip(s)
                )
            }
        }
        (Want::Integer { .. }, DeValue::Float(f)) => match f.as_str().parse::<f64>() {
            Ok(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
                format!(
                    "这里要整数：写 {}，不要小数点；expected an integer",
                    x as i64
                )
            }
            _ => format!(
                "这里要整数，现在是小数 {};expected an integer",
                clip(f.as_str())
            ),
        },
        (Want::Boolean, DeValue::String(s)) => {
            let b = chinese_bool(s).or(match s.trim().to_lowercase().as_str() {
                "true" | "yes" => Some("true"),
                "false" | "no" => Some("false"),
                _ => None,
            });
            match b {
                Some(b) => format!("是或否要写 true 或 false，不加引号：写 {b};expected a boolean"),
                None => format!(
                    "这里要写 true 或 false，现在是文字 \"{}\";expected a boolean",
                    clip(s)
                ),
            }
        }
        (Want::Boolean, DeValue::Integer(n)) => {
            let b = if n.as_str() == "0" { "false" } else { "true" };
            format!(
                "是或否要写 true 或 false：写 {b}，不是 {};expected a boolean",
                clip(n.as_str())
            )
        }
        (Want::String, DeValue::Integer(n)) => format!(
            "这里要一段文字：加上英文双引号，写 \"{}\";expected a string",
            clip(n.as_str())
        ),
        (Want::String, DeValue::Float(n)) => format!(
            "这里要一段文字：加上英文双引号，写 \"{}\";expected a string",
            clip(n.as_str())
        ),
        (Want::String, DeValue::Boolean(b)) => {
            format!("这里要一段文字：加上英文双引号，写 \"{b}\";expected a string")
        }
        (Want::Array, DeValue::String(s)) => format!(
            "这里要一个列表，文字外面再加方括号：写 [\"{}\"];expected an array",
            clip(s)
        ),
        (Want::Array, DeValue::Table(_)) => format!(
            "这里要一个列表：每一项用两层方括号 [[{}]] 开头；expected an array of tables",
            header(at)
        ),
        (Want::Object, _) => format!(
            "这里要{}，现在是{}；expected a table",
            Want::Object.zh(),
            kind_zh(got)
        ),
        (want, got) => format!(
            "这里要{}，现在是{}；expected {}",
            want.zh(),
            kind_zh(got),
            match want {
                Want::Array => "an array",
                Want::String => "a string",
                Want::Integer { .. } => "an integer",
                Want::Number => "a number",
                Want::Boolean => "a boolean",
                Want::Object | Want::Any => "a table",
            }
        ),
    }
}

/// A value as a message names it.
fn kind_zh(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("文字 \"{}\"", clip(s)),
        DeValue::Integer(n) => format!("整数 {}", clip(n.as_str())),
        DeValue::Float(f) => format!("小数 {}", clip(f.as_str())),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(_) => "一个日期".into(),
        DeValue::Array(_) => "一个列表".into(),
        DeValue::Table(_) => "一个表".into(),
    }
}

/// A document with each type error mended the way its writer meant it (`"六十"` is
/// 60, `"true"` is true, a lone string is a list of one), so the checks of values and
/// of fields against each other can run beside the type errors. `None` when some
/// error leaves the meaning in doubt (a missing field, `anger = "很生气"`, a value out
/// of range): checking a guess would report problems the trainer does not have.
pub fn mend(schema: &Json, doc: &Spanned<DeTable<'_>>) -> Option<toml::Value> {
    let w = Walker {
        root: schema,
        out: Vec::new(),
    };
    w.mend_table(schema, doc.get_ref()).map(toml::Value::Table)
}

impl<'s> Walker<'s> {
    fn mend_table(&self, s: &'s Json, t: &DeTable<'_>) -> Option<toml::Table> {
        let s = self.resolve(s);
        let props = s.get("properties").and_then(Json::as_object);
        let extra = s.get("additionalProperties");
        let mut out = toml::Table::new();
        for (key, v) in t.iter() {
            let name: &str = key.get_ref();
            let schema = match props.and_then(|p| p.get(name)) {
                Some(ps) => ps,
                None => match extra {
                    Some(extra @ Json::Object(_)) => extra,
                    // An unknown field is left out, as if it had not been written.
                    _ => continue,
                },
            };
            out.insert(name.to_string(), self.mend_value(schema, v)?);
        }
        let required = s.get("required").and_then(Json::as_array);
        for r in required.into_iter().flatten().filter_map(Json::as_str) {
            if !out.contains_key(r) {
                return None;
            }
        }
        Some(out)
    }

    fn mend_value(&self, s: &'s Json, v: &Spanned<DeValue<'_>>) -> Option<toml::Value> {
        use toml::Value as V;
        let s = self.resolve(s);
        let want = self.want(s);
        let int = |x: i64| match want {
            Want::Integer { min, max } => (min..=max).contains(&x).then_some(V::Integer(x)),
            _ => Some(V::Float(x as f64)),
        };
        let number = |text: &str| -> Option<V> {
            let x: f64 = text.trim().parse().ok()?;
            match want {
                Want::Integer { .. } if x.fract() == 0.0 && x.abs() < 1e15 => int(x as i64),
                Want::Integer { .. } => None,
                _ => x.is_finite().then_some(V::Float(x)),
            }
        };
        match (want, v.get_ref()) {
            (Want::Object, DeValue::Table(t)) => self.mend_table(s, t).map(V::Table),
            (Want::Array, DeValue::Array(items)) => {
                let item = s.get("items")?;
                items
                    .iter()
                    .map(|x| self.mend_value(item, x))
                    .collect::<Option<Vec<_>>>()
                    .map(V::Array)
            }
            // `[scenarios]` for `[[scenarios]]`: a list of the one table.
            (Want::Array, DeValue::Table(_)) | (Want::Array, DeValue::String(_)) => {
                Some(V::Array(vec![self.mend_value(s.get("items")?, v)?]))
            }
            (Want::String, DeValue::String(text)) => {
                let allowed = choices(s);
                (allowed.is_empty() || allowed.contains(&text.as_ref()))
                    .then(|| V::String(text.to_string()))
            }
            (Want::String, DeValue::Integer(n)) => Some(V::String(n.as_str().to_string())),
            (Want::String, DeValue::Float(n)) => Some(V::String(n.as_str().to_string())),
            (Want::String, DeValue::Boolean(b)) => Some(V::String(b.to_string())),
            (Want::Integer { .. } | Want::Number, DeValue::Integer(n)) => {
                let digits: String = n.as_str().chars().filter(|c| *c != '_').collect();
                int(i64::from_str_radix(&digits, n.radix()).ok()?)
            }
            (Want::Integer { .. } | Want::Number, DeValue::Float(f)) => number(f.as_str()),
            (Want::Integer { .. } | Want::Number, DeValue::String(text)) => {
                number(&chinese_number(text).unwrap_or_else(|| text.to_string()))
            }
            (Want::Boolean, DeValue::Boolean(b)) => Some(V::Boolean(*b)),
            (Want::Boolean, DeValue::String(text)) => {
                let b = chinese_bool(text).or(match text.trim().to_lowercase().as_str() {
                    "true" | "yes" => Some("true"),
                    "false" | "no" => Some("false"),
                    _ => None,
                })?;
                Some(V::Boolean(b == "true"))
            }
            (Want::Any, _) => None,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_names() {
        let known = ["walk_out_at", "accept_below", "patience", "anger"];
        assert_eq!(nearest("walkout_at", known), Some("walk_out_at"));
        assert_eq!(nearest("patinece", known), Some("patience"));
        assert_eq!(nearest("colour", known), None);
        assert_eq!(nearest("xy", ["id"]), None);
    }

    #[test]
    fn mends_what_is_plain_and_nothing_in_doubt() {
        #[derive(schemars::JsonSchema, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            n: u32,
            b: bool,
            list: Vec<String>,
        }
        let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
        let doc =
            DeTable::parse("n = \"\u{516D}\u{5341}\"\nb = \"true\"\nlist = \"x\"\nextra = 1\n")
                .unwrap();
        let v = mend(&schema, &doc).unwrap();
        assert_eq!(v["n"].as_integer(), Some(60));
        assert_eq!(v["b"].as_bool(), Some(true));
        assert_eq!(v["list"][0].as_str(), Some("x"));
        assert!(v.get("extra").is_none());
        for doubt in [
            "n = \"x\"\nb = true\nlist = []\n",
            "n = -1\nb = true\nlist = []\n",
            "b = true\nlist = []\n",
        ] {
            let doc = DeTable::parse(doubt).unwrap();
            assert!(mend(&schema, &doc).is_none(), "{doubt}");
        }
    }
}
