//! Traditional characters folded to simplified ones, one character for one.
//!
//! Staff in Hong Kong or Taiwan, and real chat logs, type traditional characters
//! (「公司的規定就是這樣的」); the reading and the rubric's patterns are written in
//! simplified ones. Folding character by character keeps every offset of the typed line
//! (the scorecard still quotes what was typed); OpenCC's phrase tables would change
//! lengths and are not needed to recognise a line. The table is generated at build time
//! from OpenCC's t2s tables (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/t2s_table.rs"));

/// The simplified character for a traditional `c`, if OpenCC folds it to another one.
#[inline]
pub fn simplified(c: char) -> Option<char> {
    let u = c as u32;
    if (0x3400..=0x9FFF).contains(&u) {
        let i = (u - 0x3400) as usize;
        if BITS[i / 64] & (1 << (i % 64)) == 0 {
            return None;
        }
    } else if u < 0xF900 {
        return None;
    }
    TABLE
        .binary_search_by_key(&c, |&(t, _)| t)
        .ok()
        .map(|i| TABLE[i].1)
}

#[cfg(test)]
mod tests {
    use super::simplified;

    #[test]
    fn traditional_folds_and_simplified_stays() {
        let folded: String = "公司的規定就是這樣的"
            .chars()
            .map(|c| simplified(c).unwrap_or(c))
            .collect();
        assert_eq!(folded, "公司的规定就是这样的");
        for c in "公司的规定就是这样的着干后里么只发".chars() {
            assert_eq!(simplified(c), None, "{c}");
        }
        assert_eq!(simplified('a'), None);
    }
}
