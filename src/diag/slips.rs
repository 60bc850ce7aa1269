//! The slips a Chinese input method makes in a TOML file, found by a small scan of the
//! text before (and beside) the TOML parser: a full-width comma in an array, a Chinese
//! colon or a full-width equals sign after a key, curly quotes around a string, a
//! string whose closing quote is missing, a number written in Chinese, text without
//! quotes. The parser reports these as "missing comma between array elements" at best;
//! a trainer needs to be told which character to type instead, and where.
//!
//! The scan knows TOML's lexical shape (strings, comments, brackets) and nothing of
//! personas or rubrics. It only ever adds explanations: a file it finds nothing in is
//! left to the parser's verdict.

use super::clip;

/// One slip: the byte offset where it is and what to type instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    pub offset: usize,
    pub message: String,
    /// Whether the parser's errors after this one are its echoes (an array left open
    /// swallows the lines below it).
    pub cascades: bool,
}

/// What the scan is inside of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bracket {
    /// An array, opened at this byte offset.
    Array(usize),
    Inline,
}

/// Every slip of `text`, in order.
pub fn scan(text: &str) -> Vec<Slip> {
    let mut s = Scanner {
        text,
        out: Vec::new(),
        stack: Vec::new(),
        value_next: false,
        line_has_eq: false,
    };
    s.run();
    s.out
}

struct Scanner<'a> {
    text: &'a str,
    out: Vec<Slip>,
    stack: Vec<Bracket>,
    /// The next token is a value: after `=`, `[` in an array, or `,` in an array.
    value_next: bool,
    /// Whether the current line (outside strings) has had its `=` yet.
    line_has_eq: bool,
}

/// The most slips one file reports: a file pasted from a word processor may have a
/// curly quote on every line, and the first screenful says what to fix.
const MAX_SLIPS: usize = 50;

impl Scanner<'_> {
    fn push(&mut self, offset: usize, message: String) {
        self.push_slip(offset, message, false);
    }

    fn push_slip(&mut self, offset: usize, message: String, cascades: bool) {
        if self.out.len() < MAX_SLIPS {
            self.out.push(Slip {
                offset,
                message,
                cascades,
            });
        }
    }

    fn in_array(&self) -> bool {
        matches!(self.stack.last(), Some(Bracket::Array(_)))
    }

    fn run(&mut self) {
        let text = self.text;
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let c = rest.chars().next().expect("i is on a char boundary");
            let next = i + c.len_utf8();
            if self.value_next && !c.is_whitespace() && c != '#' {
                self.value_next = false;
                if let Some(end) = self.bare_value(i) {
                    i = end;
                    continue;
                }
            }
            match c {
                '\n' => {
                    self.line_has_eq = false;
                    self.missing_value(i);
                    if let Some(Bracket::Array(open)) = self.stack.last().copied()
                        && starts_entry(&text[next..])
                    {
                        self.push_slip(
                            open,
                            "列表少了结尾的 `]`：这个列表到下一个键之前都没有结束，在最后一项后面补上 `]`;expected `]`"
                                .into(),
                            true,
                        );
                        self.stack.clear();
                        self.value_next = false;
                    }
                }
                '#' => {
                    self.missing_value(i);
                    i += rest.find('\n').unwrap_or(rest.len());
                    continue;
                }
                '"' | '\'' => {
                    i = self.string(i, c);
                    continue;
                }
                '=' => {
                    self.line_has_eq = true;
                    self.value_next = true;
                }
                '[' if self.line_has_eq || !self.stack.is_empty() => {
                    self.stack.push(Bracket::Array(i));
                    self.value_next = true;
                }
                '{' => {
                    self.stack.push(Bracket::Inline);
                    self.line_has_eq = false;
                }
                ']' | '}' => {
                    self.stack.pop();
                }
                ',' if self.in_array() => self.value_next = true,
                ',' => self.line_has_eq = false,
                ':' if !self.line_has_eq && self.stack.is_empty() && key_before(text, i) => {
                    self.push(
                        i,
                        "键和值之间要用等号 `=`，这里是冒号 `:`（写成 键 = 值）；expected `=`"
                            .into(),
                    );
                    self.line_has_eq = true;
                    self.value_next = true;
                }
                _ => {
                    if let Some(end) = self.wide(i, c) {
                        i = end;
                        continue;
                    }
                }
            }
            i = next;
        }
    }

    /// An `=` with nothing after it on its line (outside a list, where a value may
    /// follow on the next line).
    fn missing_value(&mut self, i: usize) {
        if self.value_next && self.stack.is_empty() {
            self.value_next = false;
            self.push(
                i,
                "等号后面少了值：写上这个字段的值，例如数字 60 或带英文双引号的 \"文字\";expected a value after `=`"
                    .into(),
            );
        }
    }

    /// A full-width or Chinese mark outside a string; where the scan goes on.
    fn wide(&mut self, i: usize, c: char) -> Option<usize> {
        let next = i + c.len_utf8();
        let msg = match c {
            '\u{FF0C}' if self.in_array() => {
                self.value_next = true;
                "数组里要用英文逗号 `,` 分隔，这里是中文逗号 `\u{FF0C}`;expected `,`"
            }
            '\u{3001}' if self.in_array() => {
                self.value_next = true;
                "数组里要用英文逗号 `,` 分隔，这里是顿号 `\u{3001}`;expected `,`"
            }
            '\u{FF0C}' if !self.stack.is_empty() => {
                "这里要用英文逗号 `,`，这里是中文逗号 `\u{FF0C}`;expected `,`"
            }
            '\u{FF0C}' => {
                "这里多了一个中文逗号 `\u{FF0C}`：键值一行写一个，行末不用逗号；remove it"
            }
            '\u{FF1A}' => {
                self.line_has_eq = true;
                self.value_next = true;
                "键和值之间要用英文等号 `=`，这里是中文冒号 `\u{FF1A}`;expected `=`"
            }
            '\u{FF1D}' => {
                self.line_has_eq = true;
                self.value_next = true;
                "要用英文等号 `=`，这里是全角等号 `\u{FF1D}`;expected `=`"
            }
            '\u{201C}' | '\u{201D}' | '\u{300C}' => {
                self.push(
                    i,
                    format!("文字要用英文双引号 `\"` 括起来，这里是中文引号 `{c}`;expected `\"`"),
                );
                return Some(skip_curly(self.text, next));
            }
            '\u{2018}' | '\u{2019}' => {
                self.push(
                    i,
                    format!(
                        "文字要用英文引号 `\"` 或 `'` 括起来，这里是中文单引号 `{c}`;expected `\"`"
                    ),
                );
                return Some(skip_curly(self.text, next));
            }
            '\u{FF3B}' | '\u{3010}' => {
                if self.line_has_eq || !self.stack.is_empty() {
                    self.stack.push(Bracket::Array(i));
                    self.value_next = true;
                }
                "方括号要用英文的 `[`，这里是中文括号；expected `[`"
            }
            '\u{FF3D}' | '\u{3011}' => {
                self.stack.pop();
                "方括号要用英文的 `]`，这里是中文括号；expected `]`"
            }
            '\u{FF5B}' => "花括号要用英文的 `{`，这里是全角括号；expected `{`",
            '\u{FF5D}' => "花括号要用英文的 `}`，这里是全角括号；expected `}`",
            '\u{3000}' => "这里有一个全角空格，要换成英文空格；expected an ASCII space",
            '\u{FF03}' => "注释要用英文 `#` 开头，这里是全角 `\u{FF03}`;expected `#`",
            _ => return None,
        };
        self.push(i, msg.to_string());
        Some(next)
    }

    /// A string starting at `i` with `quote`; where the scan goes on. A basic or
    /// literal string that reaches the end of its line has lost its closing quote.
    fn string(&mut self, i: usize, quote: char) -> usize {
        let text = self.text;
        let triple: String = std::iter::repeat_n(quote, 3).collect();
        if text[i..].starts_with(&triple) {
            let body = i + 3;
            return match text[body..].find(&triple) {
                Some(end) => body + end + 3,
                None => {
                    self.push(
                        i,
                        format!("多行文字以 `{triple}` 开头，却没有结尾的 `{triple}`;expected a closing `{triple}`"),
                    );
                    text.len()
                }
            };
        }
        let mut j = i + 1;
        let bytes = text.as_bytes();
        while j < text.len() {
            match bytes[j] {
                b'\\' if quote == '"' => j += 2,
                b'\n' => break,
                b if b == quote as u8 => return self.after_string(j, quote),
                _ => j += 1,
            }
        }
        let end = j.min(text.len());
        let body = &text[i + 1..end];
        let body = body.trim_end_matches('\r');
        let curly = body
            .chars()
            .find(|c| matches!(c, '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}'));
        let message = match curly {
            Some(c) => format!(
                "这段文字少了结尾的英文引号 `{quote}`（结尾用了中文引号 `{c}`）；expected a closing `{quote}`"
            ),
            None => format!(
                "这段文字少了结尾的英文引号 `{quote}`：在 {} 的末尾补上 `{quote}`;expected a closing `{quote}`",
                shown(body)
            ),
        };
        self.push(i, message);
        end
    }

    /// After a string closed at `close`: text that goes on behind it on the line means
    /// the quote at `close` was meant inside the string. Where the scan goes on.
    fn after_string(&mut self, close: usize, quote: char) -> usize {
        let text = self.text;
        let rest = &text[close + 1..];
        let line_end = rest.find('\n').map_or(text.len(), |p| close + 1 + p);
        let follows = rest.trim_start_matches([' ', '\t']).chars().next();
        let fine = follows.is_none_or(|c| {
            matches!(c, ',' | ']' | '}' | '#' | '=' | '.' | '\r' | '\n') || is_wide_mark(c)
        });
        if fine {
            return close + 1;
        }
        let escaped = if quote == '"' {
            "，或写成 `\\\"`"
        } else {
            ""
        };
        self.push(
            close,
            format!(
                "文字中间有一个英文引号 `{quote}`，文字到这里就被当作结束了：文字里的引号请用中文引号「」{escaped}；a quote inside a string ends it"
            ),
        );
        line_end
    }

    /// A value that is not TOML at `i`: Chinese text or a Chinese number without
    /// quotes. Where the scan goes on when it is one.
    fn bare_value(&mut self, i: usize) -> Option<usize> {
        let text = self.text;
        let c = text[i..].chars().next()?;
        if c.is_ascii() || is_wide_mark(c) {
            return None;
        }
        let stop = |ch: char| {
            ch == '\n'
                || ch == '#'
                || (!self.stack.is_empty()
                    && matches!(ch, ',' | ']' | '}' | '\u{FF0C}' | '\u{3001}' | '\u{FF3D}'))
        };
        let len = text[i..].find(stop).unwrap_or(text.len() - i);
        let token = text[i..i + len].trim_end();
        let message = if let Some(n) = chinese_number(token) {
            format!(
                "数字要用阿拉伯数字：写 {n}，不是「{}」；expected a number such as {n}",
                clip(token)
            )
        } else if let Some(n) = fullwidth_number(token) {
            format!(
                "数字要用半角数字：写 {n}，不是「{}」；expected {n}",
                clip(token)
            )
        } else if let Some(b) = chinese_bool(token) {
            format!("是或否要写 true 或 false（不加引号）：这里写 {b};expected true or false")
        } else {
            format!(
                "文字要用英文双引号括起来：写 {};expected a quoted string",
                shown(token)
            )
        };
        self.push(i, message);
        Some(i + len)
    }
}

/// Whether a mark the scan explains by itself (a curly quote, a Chinese bracket)
/// starts at a value: that message is the better one.
fn is_wide_mark(c: char) -> bool {
    matches!(
        c,
        '\u{201C}'
            | '\u{201D}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{300C}'
            | '\u{FF3B}'
            | '\u{3010}'
            | '\u{FF5B}'
            | '\u{3000}'
            | '\u{FF0C}'
            | '\u{3001}'
            | '\u{FF1D}'
            | '\u{FF1A}'
    )
}

/// Whether a line (the text from its start) begins a new entry: a table header or a
/// `key =`. Inside an open list that means the list was never closed.
fn starts_entry(rest: &str) -> bool {
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.split('#').next().unwrap_or("").trim();
    let bare = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
    };
    if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
        let inner = inner
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .unwrap_or(inner);
        return bare(inner)
            && inner
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic());
    }
    match line.split_once('=') {
        Some((key, _)) => bare(key.trim()) && key.starts_with(|c: char| c.is_ascii_alphabetic()),
        None => false,
    }
}

/// After an opening curly quote: past its closing one on the same line (the text
/// between is the trainer's, not TOML), or to the end of the line.
fn skip_curly(text: &str, from: usize) -> usize {
    let rest = &text[from..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let line = &rest[..line_end];
    match line.find(['\u{201D}', '\u{2019}', '\u{300D}', '"']) {
        Some(p) => from + p + line[p..].chars().next().map_or(1, char::len_utf8),
        None => from + line_end,
    }
}

/// Whether the text before `i` on its line is a bare key (letters, digits, `_`, `-`,
/// `.`, spaces): then a colon at `i` was meant as `=`.
fn key_before(text: &str, i: usize) -> bool {
    let start = text[..i].rfind('\n').map_or(0, |p| p + 1);
    let before = text[start..i].trim();
    !before.is_empty()
        && before
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
}

/// A trainer's text as a message quotes it: in English quotes, clipped.
fn shown(text: &str) -> String {
    format!("\"{}\"", clip(text))
}

/// The value of a number written in Chinese (六十, 二十五, 一百, 零点六, 60分 is not
/// one), up to 9999.
pub fn chinese_number(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 12 {
        return None;
    }
    let (int, frac) = match s.split_once('\u{70B9}') {
        // 点
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let (neg, int) = match int.strip_prefix('\u{8D1F}') {
        // 负
        Some(rest) => (true, rest),
        None => (false, int),
    };
    let whole = chinese_int(int)?;
    let mut out = if neg {
        format!("-{whole}")
    } else {
        whole.to_string()
    };
    if let Some(f) = frac {
        if f.is_empty() {
            return None;
        }
        out.push('.');
        for c in f.chars() {
            out.push(char::from(b'0' + digit(c)?));
        }
    }
    Some(out)
}

fn digit(c: char) -> Option<u8> {
    Some(match c {
        '\u{96F6}' | '\u{3007}' => 0, // 零 〇
        '\u{4E00}' => 1,              // 一
        '\u{4E8C}' | '\u{4E24}' => 2, // 二 两
        '\u{4E09}' => 3,              // 三
        '\u{56DB}' => 4,              // 四
        '\u{4E94}' => 5,              // 五
        '\u{516D}' => 6,              // 六
        '\u{4E03}' => 7,              // 七
        '\u{516B}' => 8,              // 八
        '\u{4E5D}' => 9,              // 九
        _ => return None,
    })
}

fn chinese_int(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (mut total, mut pending) = (0u64, None::<u64>);
    let mut any_unit = false;
    for c in s.chars() {
        let unit = match c {
            '\u{5341}' => 10,   // 十
            '\u{767E}' => 100,  // 百
            '\u{5343}' => 1000, // 千
            _ => {
                let d = u64::from(digit(c)?);
                pending = Some(match pending {
                    // 六零 digit by digit
                    Some(p) if !any_unit => p.checked_mul(10)?.checked_add(d)?,
                    _ => d,
                });
                continue;
            }
        };
        any_unit = true;
        total = total.checked_add(pending.take().unwrap_or(1).checked_mul(unit)?)?;
    }
    total.checked_add(pending.unwrap_or(0))
}

/// A number in full-width digits (６０), in ASCII.
fn fullwidth_number(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut digits = 0;
    for c in s.chars() {
        match c {
            '\u{FF10}'..='\u{FF19}' => {
                digits += 1;
                out.push(char::from(b'0' + (c as u32 - 0xFF10) as u8));
            }
            '\u{FF0E}' | '.' => out.push('.'),
            '\u{FF0D}' | '-' => out.push('-'),
            '0'..='9' => {
                digits += 1;
                out.push(c);
            }
            _ => return None,
        }
    }
    (digits > 0).then_some(out)
}

/// `true` or `false` for a yes or no written in Chinese.
pub fn chinese_bool(s: &str) -> Option<&'static str> {
    match s.trim() {
        "\u{662F}" | "\u{5BF9}" | "\u{771F}" | "\u{6709}" | "\u{5F00}" => Some("true"), // 是 对 真 有 开
        "\u{5426}" | "\u{9519}" | "\u{5047}" | "\u{65E0}" | "\u{5173}" | "\u{4E0D}" => {
            Some("false") // 否 错 假 无 关 不
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(t: &str) -> Vec<(usize, String)> {
        scan(t)
            .into_iter()
            .map(|s| (super::super::line_col(t, s.offset).1, s.message))
            .collect()
    }

    proptest::proptest! {
        /// Whatever a trainer pastes, the scan ends, never panics, and says little.
        #[test]
        fn any_text_is_scanned_without_panic(t in "[a-z =\"'\\[\\]{},:#\n\\\\\u{FF0C}\u{FF1A}\u{FF1D}\u{201C}\u{201D}\u{2018}\u{2019}\u{3001}\u{3010}\u{3011}\u{3000}\u{516D}\u{5341}\u{4E5D}\u{FF16}\u{5F88}]{0,200}") {
            let slips = scan(&t);
            proptest::prop_assert!(slips.len() <= MAX_SLIPS);
            for s in slips {
                proptest::prop_assert!(t.is_char_boundary(s.offset.min(t.len())));
            }
        }
    }

    #[test]
    fn chinese_numbers() {
        for (s, n) in [
            ("六十", "60"),
            ("二十五", "25"),
            ("一百", "100"),
            ("十二", "12"),
            ("十", "10"),
            ("零点六", "0.6"),
            ("两百零五", "205"),
            ("负十", "-10"),
        ] {
            assert_eq!(chinese_number(s).as_deref(), Some(n), "{s}");
        }
        assert_eq!(chinese_number("很生气"), None);
        assert_eq!(
            chinese_number("九九九九九九九九九九九九").as_deref(),
            Some("999999999999")
        );
    }

    #[test]
    fn full_width_comma_in_an_array() {
        let m = messages("a = [\"x\"\u{FF0C} \"y\"]\n");
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].0, 9);
        assert!(m[0].1.contains("中文逗号"));
    }

    #[test]
    fn strings_and_comments_are_left_alone() {
        assert!(
            messages("a = \"你好\u{FF0C}请问\u{FF1A}\" # 注释\u{FF0C}\nb = '\u{201C}x\u{201D}'\n")
                .is_empty()
        );
    }

    #[test]
    fn bare_values() {
        let m = messages("a = 六十\nb = 很生气\nc = [急躁, \"x\"]\nd = 是\n");
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(m[0].1.contains("写 60"));
        assert!(m[1].1.contains("\"很生气\""));
        assert!(m[2].1.contains("\"急躁\""));
        assert!(m[3].1.contains("true"));
    }

    #[test]
    fn curly_quotes_and_missing_quotes() {
        let m = messages("a = \u{201C}x\u{201D}\nb = \"abc\nc = 1\n");
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].1.contains("中文引号"));
        assert!(m[1].1.contains("结尾的英文引号"));
    }

    #[test]
    fn colons_and_wide_equals() {
        let m = messages(
            "anger: 60\ntrust \u{FF1D} 1\nx \u{FF1A} 2\n[mood]\nt = 2026-01-01T00:00:00Z\n",
        );
        assert_eq!(m.len(), 3, "{m:?}");
    }
}
