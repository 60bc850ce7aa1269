//! Normalisation: the text the reading works on, and the way back to what was typed.
//!
//! Chinese input methods type full-width punctuation (`，？！：`), chat users type ASCII
//! or none, and copy-paste brings zero-width characters along. The reading must treat
//! `……对吧？` and `……对吧?` alike, so every line is folded once: full-width ASCII to
//! ASCII, Chinese punctuation to one canonical ASCII mark, quotes to `"`, runs of the
//! same mark to one, format characters dropped, Latin letters lowercased. Each folded
//! character remembers the byte offset of the character it came from, so spans found in
//! the folded text still point into the trainee's own words.

/// A line as the reading sees it.
#[derive(Debug, Clone, Default)]
pub struct Normalised {
    /// The folded text.
    pub text: String,
    /// For each char of `text`, in order: its byte offset in `text` and the byte range
    /// of the original character(s) it stands for.
    pub chars: Vec<NChar>,
    /// Byte length of the original text.
    pub original_len: usize,
}

/// One folded character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NChar {
    pub c: char,
    /// Byte offset in the folded text.
    pub at: u32,
    /// Byte range in the original text.
    pub from: u32,
    pub to: u32,
}

impl Normalised {
    /// The original byte range of folded chars `i..j` (char indices, `i < j`).
    pub fn original_range(&self, i: usize, j: usize) -> (usize, usize) {
        if self.chars.is_empty() || i >= j {
            return (0, 0);
        }
        let j = j.min(self.chars.len());
        (self.chars[i].from as usize, self.chars[j - 1].to as usize)
    }
}

/// What one input character becomes.
enum Fold {
    Keep(char),
    To(char),
    Drop,
}

/// Zero-width and direction-control characters: invisible, and a way to hide a 禁语
/// from a keyword match (「公司的规\u{200B}定」).
pub fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn fold(c: char) -> Fold {
    match c {
        // Most of a line: common Han characters, kept as they are.
        '\u{4E00}'..='\u{9FFF}' => Fold::Keep(c),
        _ if is_format(c) => Fold::Drop,
        // Full-width ASCII block: ！ → !, ０ → 0, Ａ → a.
        '\u{FF01}'..='\u{FF5E}' => {
            let a = char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c);
            Fold::To(a.to_ascii_lowercase())
        }
        'A'..='Z' => Fold::To(c.to_ascii_lowercase()),
        '\u{3000}' | '\t' | '\u{00A0}' => Fold::To(' '),
        '\r' => Fold::To('\n'),
        // Chinese sentence and clause marks.
        '\u{3002}' | '\u{FF61}' => Fold::To('.'), // 。｡
        '\u{3001}' | '\u{FF64}' => Fold::To(','), // 、､
        '\u{2026}' | '\u{22EF}' => Fold::To('.'), // …
        '\u{301C}' | '\u{223C}' => Fold::To('~'), // 〜 ∼
        '\u{2014}' | '\u{2015}' | '\u{2013}' => Fold::To('-'), // — ―
        // Quotes and brackets of every width to one quote mark.
        '\u{300C}' | '\u{300D}' | '\u{300E}' | '\u{300F}' | '\u{201C}' | '\u{201D}'
        | '\u{2018}' | '\u{2019}' | '\'' => Fold::To('"'),
        '\u{3010}' | '\u{3016}' => Fold::To('('), // 【〖
        '\u{3011}' | '\u{3017}' => Fold::To(')'), // 】〗
        _ => Fold::Keep(c),
    }
}

/// Marks collapsed when repeated: 「？？？」 reads as one question, 「。。。」 as one stop.
fn collapses(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '?' | '!' | '~' | ' ' | '-' | ';' | ':' | '\n'
    )
}

/// Fold `text` (see the module doc).
pub fn normalise(text: &str) -> Normalised {
    let mut out = Normalised {
        text: String::with_capacity(text.len()),
        chars: Vec::with_capacity(text.len() / 2),
        original_len: text.len(),
    };
    normalise_into(text, &mut out);
    out
}

/// [`normalise`] into `out`, reusing its buffers.
pub fn normalise_into(text: &str, out: &mut Normalised) {
    out.text.clear();
    out.chars.clear();
    out.original_len = text.len();
    for (from, c) in text.char_indices() {
        let to = (from + c.len_utf8()) as u32;
        let f = match fold(c) {
            Fold::Drop => continue,
            Fold::Keep(c) | Fold::To(c) => c,
        };
        if let Some(last) = out.chars.last_mut()
            && collapses(f)
            && (last.c == f || (f == '.' && last.c == '.'))
        {
            last.to = to;
            continue;
        }
        out.chars.push(NChar {
            c: f,
            at: out.text.len() as u32,
            from: from as u32,
            to,
        });
        out.text.push(f);
    }
}

/// Whether `c` is a Han character (CJK unified ideographs and extension A).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_ascii_fold_alike() {
        let ime = normalise("您好\u{FF0C}是这样吗\u{FF1F}\u{FF1F}");
        let ascii = normalise("您好,是这样吗?");
        assert_eq!(ime.text, ascii.text);
        assert_eq!(ime.text, "您好,是这样吗?");
    }

    #[test]
    fn spans_map_back_to_the_typed_text() {
        let typed = "对不起\u{FF0C}\u{200B}我们马上处理\u{3002}\u{3002}";
        let n = normalise(typed);
        assert_eq!(n.text, "对不起,我们马上处理.");
        let i = n.text.chars().position(|c| c == '我').unwrap();
        let (a, b) = n.original_range(i, n.chars.len());
        assert_eq!(&typed[a..b], "我们马上处理\u{3002}\u{3002}");
    }

    #[test]
    fn format_characters_vanish() {
        assert_eq!(normalise("公司\u{200B}的\u{FEFF}规定").text, "公司的规定");
    }

    #[test]
    fn quotes_and_letters() {
        assert_eq!(normalise("\u{300C}ＯＫ\u{300D}").text, "\"ok\"");
    }
}
