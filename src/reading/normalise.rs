//! Normalisation: the text the reading works on, and the way back to what was typed.
//!
//! Chinese input methods type full-width punctuation (`，？！：`), chat users type ASCII
//! or none, and copy-paste brings zero-width characters along. The reading must treat
//! `……对吧？` and `……对吧?` alike, so every line is folded once: full-width ASCII to
//! ASCII, Chinese punctuation to one canonical ASCII mark, quotes to `"`, runs of the
//! same mark to one, format characters dropped, Latin letters lowercased, traditional
//! characters folded to simplified ones, and the spaces of a line typed character by
//! character (「公 司 的 规 定」) dropped. Each folded
//! character remembers the byte offset of the character it came from, so spans found in
//! the folded text still point into the trainee's own words.

use super::simplify::simplified;

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
        // Most of a line: common Han characters, kept as they are unless traditional.
        '\u{4E00}'..='\u{9FFF}' => simplified(c).map_or(Fold::Keep(c), Fold::To),
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
        _ => simplified(c).map_or(Fold::Keep(c), Fold::To),
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
    if out.text.contains(' ') {
        squeeze_spaced_out(out);
    }
}

/// Drops the spaces of a run typed character by character.
///
/// A space between words is a chat-style comma (「亲 您看下订单号」) and stays; but a
/// run of Han tokens separated by single spaces, at least two and at least half of
/// them one character long, is a phrase spaced out to dodge a keyword match
/// (「公 司 的 规 定」), and reads as the phrase.
fn squeeze_spaced_out(out: &mut Normalised) {
    let cs = &out.chars;
    let mut drop = vec![false; cs.len()];
    let mut i = 0;
    while i < cs.len() {
        if !is_han(cs[i].c) {
            i += 1;
            continue;
        }
        // Tokens of Han characters separated by single spaces, from `i`.
        let (mut tokens, mut singles, mut spaces) = (0, 0, Vec::new());
        let mut j = i;
        loop {
            let start = j;
            while j < cs.len() && is_han(cs[j].c) {
                j += 1;
            }
            tokens += 1;
            singles += usize::from(j - start == 1);
            if j + 1 < cs.len() && cs[j].c == ' ' && is_han(cs[j + 1].c) {
                spaces.push(j);
                j += 1;
            } else {
                break;
            }
        }
        if singles >= 2 && singles * 2 >= tokens {
            for k in spaces {
                drop[k] = true;
            }
        }
        i = j.max(i + 1);
    }
    if !drop.contains(&true) {
        return;
    }
    let mut k = 0;
    out.chars.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    out.text.clear();
    for c in &mut out.chars {
        c.at = out.text.len() as u32;
        out.text.push(c.c);
    }
}

/// Text for the rubric's patterns to match instead of `text`, with the byte offset in
/// `text` of each byte of it (and of its end); `None` when that would be `text` itself,
/// as it is for almost every line. Format characters are always dropped and
/// traditional characters folded to simplified ones; with `squeeze`, the blanks between
/// two Han characters are dropped too.
///
/// Patterns are exact wordings, so a space inside a Chinese phrase can only hide one
/// (「公司的规 定就是这样的」); but patterns also use a space as a chat-style comma, so
/// the analyser matches the squeezed text beside the unsqueezed one, not instead of it.
fn for_patterns(text: &str, squeeze: bool) -> Option<(String, Vec<usize>)> {
    let dropped = |i: usize, c: char| {
        is_format(c) || (squeeze && is_blank(c) && between_han(text, i, c.len_utf8()))
    };
    if !text
        .char_indices()
        .any(|(i, c)| dropped(i, c) || simplified(c).is_some())
    {
        return None;
    }
    let mut clean = String::with_capacity(text.len());
    let mut at = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        if dropped(i, c) {
            continue;
        }
        let f = simplified(c).unwrap_or(c);
        clean.push(f);
        at.extend(std::iter::repeat_n(i, f.len_utf8()));
    }
    at.push(text.len());
    Some((clean, at))
}

/// The texts the rubric's patterns match beside `text` itself, found in one scan: the
/// text folded (format characters dropped, traditional characters simplified), if
/// that changes anything, and the text also squeezed (blanks between Han dropped), if
/// it has such blanks. Almost every line needs neither.
pub fn pattern_texts(text: &str) -> [Option<(String, Vec<usize>)>; 2] {
    let (mut fold, mut squeeze) = (false, false);
    for (i, c) in text.char_indices() {
        if is_format(c) || simplified(c).is_some() {
            fold = true;
        } else if !squeeze && is_blank(c) && between_han(text, i, c.len_utf8()) {
            squeeze = true;
        }
    }
    [
        fold.then(|| for_patterns(text, false)).flatten(),
        squeeze.then(|| for_patterns(text, true)).flatten(),
    ]
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{3000}' | '\u{00A0}')
}

/// Whether the blank at byte `i` (of `len` bytes) sits inside a run of blanks and
/// format characters that has a Han character on each side.
fn between_han(text: &str, i: usize, len: usize) -> bool {
    let skip = |c: &char| is_blank(*c) || is_format(*c);
    let before = text[..i].chars().rev().find(|c| !skip(c));
    let after = text[i + len..].chars().find(|c| !skip(c));
    before.is_some_and(is_han) && after.is_some_and(is_han)
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
    fn traditional_characters_fold_and_keep_their_offsets() {
        let typed = "公司的規定就是這樣的";
        let n = normalise(typed);
        assert_eq!(n.text, "公司的规定就是这样的");
        let (a, b) = n.original_range(3, 5);
        assert_eq!(&typed[a..b], "規定");
    }

    #[test]
    fn spaced_out_phrases_close_but_chat_commas_stay() {
        assert_eq!(normalise("公 司 的 规 定").text, "公司的规定");
        assert_eq!(
            normalise("公司的 规 定 就是这样").text,
            "公司的规定就是这样"
        );
        assert_eq!(normalise("亲 您看下订单号").text, "亲 您看下订单号");
        assert_eq!(normalise("您好 我是小王 请问").text, "您好 我是小王 请问");
    }

    #[test]
    fn pattern_text_drops_what_hides_a_phrase_and_maps_back() {
        assert!(for_patterns("公司的规定", true).is_none());
        let typed = "公司的規 定";
        let (clean, at) = for_patterns(typed, true).unwrap();
        assert_eq!(clean, "公司的规定");
        assert_eq!(&typed[at[9]..], "規 定");
        let (kept, _) = for_patterns(typed, false).unwrap();
        assert_eq!(kept, "公司的规 定");
        assert!(for_patterns("ok 好", true).is_none());
    }

    #[test]
    fn quotes_and_letters() {
        assert_eq!(normalise("\u{300C}ＯＫ\u{300D}").text, "\"ok\"");
    }
}
