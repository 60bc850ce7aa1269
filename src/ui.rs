//! Terminal output: the one place that decides about colour and that cleans text the
//! program did not write itself (trainee input, files a trainer hands in, model output)
//! of control sequences before it reaches a terminal.

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

/// `println!` for interactive output that must not panic when stdout is gone
/// (`peilian practice | head`): the session goes on, its transcript is still written,
/// and only what nobody reads is lost.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that does not panic when stdout is gone; flushed, as a prompt or a streamed
/// token must show at once.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut o = std::io::stdout();
        let _ = write!(o, $($arg)*);
        let _ = o.flush();
    }};
}

pub(crate) use {out, outln};

/// Remove terminal control sequences (CSI, OSC, other ESC sequences) and C0/C1 control
/// characters except tab, so untrusted text cannot move the cursor, retitle the window
/// or hide what it says.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    Sanitizer::default().push(text, &mut out);
    Cow::Owned(out)
}

/// [`sanitize`] for text that arrives in pieces (a model's reply, token by token): an
/// escape sequence split across pieces is still removed whole, and the pieces' outputs
/// joined are exactly `sanitize` of the pieces joined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sanitizer {
    state: Escape,
}

/// Where in an escape sequence the previous piece ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    /// Just after ESC.
    Esc,
    /// In a CSI: parameters and intermediates until one final byte.
    Csi,
    /// In an OSC, DCS, SOS, PM or APC string, up to BEL or ST (`ESC \`).
    Str,
    /// ESC inside such a string: a following `\` belongs to it.
    StrEsc,
}

impl Sanitizer {
    /// Append the clean part of `piece` to `out`.
    pub fn push(&mut self, piece: &str, out: &mut String) {
        for c in piece.chars() {
            self.step(c, out);
        }
    }

    fn step(&mut self, c: char, out: &mut String) {
        self.state = match self.state {
            Escape::None => match c {
                '\u{1b}' => Escape::Esc,
                '\u{9b}' => Escape::Csi,
                c if is_control(c) => Escape::None,
                c => {
                    out.push(c);
                    Escape::None
                }
            },
            Escape::Esc => match c {
                '[' => Escape::Csi,
                ']' | 'P' | 'X' | '^' | '_' => Escape::Str,
                // Any other character completes a two-character escape.
                _ => Escape::None,
            },
            Escape::Csi if ('\u{40}'..='\u{7e}').contains(&c) => Escape::None,
            Escape::Csi => Escape::Csi,
            Escape::Str => match c {
                '\u{7}' => Escape::None,
                '\u{1b}' => Escape::StrEsc,
                _ => Escape::Str,
            },
            Escape::StrEsc if c == '\\' => Escape::None,
            Escape::StrEsc => {
                // The ESC ended the string; this character stands on its own.
                self.state = Escape::None;
                return self.step(c, out);
            }
        };
    }
}

fn is_control(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{7f}'
}

/// Display width of text in terminal columns (CJK characters take two).
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Text followed by spaces up to `cols` terminal columns, for aligned tables with
/// Chinese text (`format!("{:<8}")` counts characters, not columns).
pub fn pad(text: &str, cols: usize) -> String {
    format!("{text}{}", " ".repeat(cols.saturating_sub(width(text))))
}

/// Spaces then text, right-aligned to `cols` columns.
pub fn pad_left(text: &str, cols: usize) -> String {
    format!("{}{text}", " ".repeat(cols.saturating_sub(width(text))))
}

/// Text cut to at most `cols` columns, ending in `…` when cut, so a long scenario
/// title cannot push a table row onto the next line.
pub fn truncate(text: &str, cols: usize) -> Cow<'_, str> {
    if width(text) <= cols {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > cols {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// Take the `--color` choice for the whole process; `auto` leaves the decision to the
/// environment and the terminal (see [`colour_stdout`]).
pub fn set_colour(choice: clap::ColorChoice) {
    anstream::ColorChoice::write_global(match choice {
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
    });
}

/// Whether stdout gets colour: `--color always|never` if given, else anstream's reading
/// of the conventions: `NO_COLOR` (non-empty) turns it off, `CLICOLOR_FORCE` on, and
/// otherwise colour only for a terminal that supports it.
pub fn colour_stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// ANSI styles, applied only when colour is on.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub on: bool,
}

impl Style {
    pub fn stdout() -> Self {
        Self {
            on: colour_stdout(),
        }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\u{1b}[{code}m{s}\u{1b}[0m")
        } else {
            s.to_string()
        }
    }

    pub fn good(&self, s: &str) -> String {
        self.wrap("32", s)
    }

    pub fn bad(&self, s: &str) -> String {
        self.wrap("31", s)
    }

    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }

    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences_and_controls() {
        assert_eq!(sanitize("好\u{1b}[31m红\u{1b}[0m"), "好红");
        assert_eq!(sanitize("a\u{1b}]0;title\u{7}b"), "ab");
        assert_eq!(sanitize("a\u{1b}]8;;http://x\u{1b}\\b"), "ab");
        assert_eq!(sanitize("a\rb\u{0}c\u{85}d\te"), "abcd\te");
        assert!(matches!(sanitize("正常的句子"), Cow::Borrowed(_)));
    }

    #[test]
    fn pieces_sanitize_like_the_whole() {
        let text = "好\u{1b}[31m红\u{1b}[0m a\u{1b}]0;t\u{1b}Xb\u{1b}]8;;u\u{1b}\\c\u{9b}2Jd\u{1b}";
        for cut in 0..text.chars().count() {
            let at = text.char_indices().nth(cut).map_or(text.len(), |(i, _)| i);
            let mut s = Sanitizer::default();
            let mut out = String::new();
            s.push(&text[..at], &mut out);
            s.push(&text[at..], &mut out);
            assert_eq!(out, sanitize(text), "cut at {cut}");
        }
    }

    #[test]
    fn cjk_is_double_width() {
        assert_eq!(width("您好"), 4);
        assert_eq!(width("ab"), 2);
    }

    #[test]
    fn padding_and_truncation_count_columns() {
        assert_eq!(pad("您好", 6), "您好  ");
        assert_eq!(pad_left("好", 3), " 好");
        assert_eq!(truncate("软驱不读盘", 20), "软驱不读盘");
        // Nine columns at most: four wide characters and the ellipsis.
        assert_eq!(truncate("软驱不读盘,维修站", 9), "软驱不读…");
        assert!(width(&truncate("软驱不读盘,维修站", 8)) <= 8);
    }
}
