//! Scripted sessions: the trainee's lines from an answers file, and the one loop that
//! plays them through a [`Session`]. `run`, `assess`, the personas' self-checks and
//! a piped `practice` read answers the same way (blank lines and `#` comments
//! skipped); what differs is only what a caller does with a line that is not UTF-8
//! or too long, and that choice is named where the reader is made ([`Utf8`]).

use std::io::{self, BufRead};

use crate::session::{MAX_TURN_CHARS, Session};
use crate::transcript::TurnRecord;

/// What the end line of a scripted session says when the answers run out first.
pub const UNFINISHED: &str = "学员台词用完，对话未结束";

/// What to do with a line that is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8 {
    /// Stop with an error naming the line: a file is fixed once and played again.
    Required,
    /// Replace the bad bytes and say so: a live pipe into a practice session must not
    /// end the session over one stray byte.
    Replaced,
}

/// Why an answers file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    #[error("无法读取台词文件 {label}")]
    Io {
        label: String,
        #[source]
        source: io::Error,
    },
    #[error("{label}:{line}: 不是有效的 UTF-8 文本；请把台词文件存为 UTF-8")]
    NotUtf8 { label: String, line: usize },
}

/// One trainee line of an answers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLine {
    /// Trimmed, never empty.
    pub text: String,
    /// 1-based line number in the file.
    pub line: usize,
    /// Bytes that were not UTF-8 were replaced ([`Utf8::Replaced`] only).
    pub replaced: bool,
}

impl AnswerLine {
    /// The line cut to [`MAX_TURN_CHARS`], with the warning to give when it was cut.
    pub fn cut(self, label: &str) -> (String, Option<String>) {
        let n = self.text.chars().count();
        if n <= MAX_TURN_CHARS {
            return (self.text, None);
        }
        let warning = format!(
            "{label}:{}: 这一行有 {n} 个字，只取前 {MAX_TURN_CHARS} 个",
            self.line
        );
        (
            self.text.chars().take(MAX_TURN_CHARS).collect(),
            Some(warning),
        )
    }
}

/// The trainee lines of an answers file, read as they come, so a live pipe plays turn
/// by turn.
pub struct Answers<R> {
    reader: R,
    /// The file as messages name it.
    pub label: String,
    line_no: usize,
    utf8: Utf8,
}

impl<R: BufRead> Answers<R> {
    pub fn new(reader: R, label: impl Into<String>, utf8: Utf8) -> Self {
        Self {
            reader,
            label: label.into(),
            line_no: 0,
            utf8,
        }
    }

    /// The next trainee line, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<AnswerLine>, AnswersError> {
        let mut raw = Vec::new();
        loop {
            raw.clear();
            // Bounded: a line with no end (a pipe from /dev/zero) costs a few KB and is
            // cut like any long line.
            let n =
                crate::files::read_line_bounded(&mut self.reader, &mut raw, 4 * MAX_TURN_CHARS + 4)
                    .map(|(n, _)| n)
                    .map_err(|source| AnswersError::Io {
                        label: self.label.clone(),
                        source,
                    })?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let (text, replaced) = match (std::str::from_utf8(&raw), self.utf8) {
                (Ok(t), _) => (t.trim().to_string(), false),
                (Err(_), Utf8::Required) => {
                    return Err(AnswersError::NotUtf8 {
                        label: self.label.clone(),
                        line: self.line_no,
                    });
                }
                (Err(_), Utf8::Replaced) => {
                    (String::from_utf8_lossy(&raw).trim().to_string(), true)
                }
            };
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            return Ok(Some(AnswerLine {
                text,
                line: self.line_no,
                replaced,
            }));
        }
    }
}

/// Play `lines` until the customer ends the session or the lines run out; `on_turn`
/// sees each turn as it is played. The next line is asked for only after the turn
/// before it is played, so a live pipe plays turn by turn. A session the lines leave
/// open is ended as [`UNFINISHED`].
pub fn play<E: From<io::Error>>(
    session: &mut Session<'_>,
    lines: impl IntoIterator<Item = Result<String, E>>,
    mut on_turn: impl FnMut(&TurnRecord) -> Result<(), E>,
) -> Result<(), E> {
    for line in lines {
        let t = session.say(&line?)?;
        on_turn(t)?;
        if session.outcome().is_some() {
            break;
        }
    }
    if session.outcome().is_none() {
        session.finish_unfinished(UNFINISHED)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], utf8: Utf8) -> Result<Vec<AnswerLine>, AnswersError> {
        let mut a = Answers::new(bytes, "a.txt", utf8);
        let mut out = Vec::new();
        while let Some(l) = a.next_line()? {
            out.push(l);
        }
        Ok(out)
    }

    #[test]
    fn blank_lines_and_comments_are_skipped_and_lines_keep_their_numbers() {
        let got = all(b"# persona: x\n\n  hello \r\nworld", Utf8::Required).unwrap();
        let lines: Vec<(&str, usize)> = got.iter().map(|l| (l.text.as_str(), l.line)).collect();
        assert_eq!(lines, [("hello", 3), ("world", 4)]);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named_or_replaced_as_asked() {
        let bytes = b"ok\n\xff\xfe bad\n";
        let e = all(bytes, Utf8::Required).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.txt:2: 不是有效的 UTF-8 文本；请把台词文件存为 UTF-8"
        );
        let got = all(bytes, Utf8::Replaced).unwrap();
        assert!(got[1].replaced && got[1].text.ends_with("bad") && got[1].line == 2);
    }

    #[test]
    fn an_over_long_line_is_cut_with_a_warning() {
        let long = "好".repeat(MAX_TURN_CHARS + 1);
        let line = AnswerLine {
            text: long,
            line: 7,
            replaced: false,
        };
        let (text, warning) = line.cut("a.txt");
        assert_eq!(text.chars().count(), MAX_TURN_CHARS);
        assert_eq!(
            warning.unwrap(),
            format!(
                "a.txt:7: 这一行有 {} 个字，只取前 {MAX_TURN_CHARS} 个",
                MAX_TURN_CHARS + 1
            )
        );
    }
}
