//! Features of a line for the act model: character n-grams of each clause and the
//! clause's scope cues.
//!
//! Chinese has no spaces, and a word segmenter costs tens of milliseconds of start-up
//! and megabytes of dictionary; character uni-, bi- and trigrams carry the words
//! (「办不了」「换一台」「对不起」) and their neighbourhoods without one. Each feature is
//! a `u64` key packing the n-gram's characters, so the model looks features up without
//! hashing collisions. Digits fold to `0` so 「退您199元」 and 「退您88元」 share features.
//! This file is also compiled into the build script, which trains the default model:
//! it uses only `std`.

use super::clause::{Clause, Cues};
use super::normalise::Normalised;

/// Clause boundary markers inside n-grams.
const BEGIN: u32 = 0x02;
const END: u32 = 0x03;

const CHAR_BITS: u32 = 20;
const CHAR_MASK: u64 = (1 << CHAR_BITS) - 1;

fn key(n: u64, a: u32, b: u32, c: u32) -> u64 {
    (n << 60)
        | ((u64::from(a) & CHAR_MASK) << 40)
        | ((u64::from(b) & CHAR_MASK) << 20)
        | (u64::from(c) & CHAR_MASK)
}

/// The key of a cue feature.
pub fn cue_key(flag: u16) -> u64 {
    key(4, 0, 0, u32::from(flag))
}

/// The key of the line-length feature (terse lines read differently).
fn length_key(bucket: u32) -> u64 {
    key(5, 0, 0, bucket)
}

/// Map a char for n-grams: digits to one class; punctuation and spaces to none.
fn class(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some('0' as u32),
        ' ' | ',' | '.' | '?' | '!' | ';' | ':' | '~' | '"' | '(' | ')' | '-' | '\n' => None,
        _ => Some(c as u32),
    }
}

/// Features of one line: `(key, clause index)` for every n-gram and cue of every
/// clause, as often as it occurs (the model counts). `buf` is scratch. Returns the key
/// of the line's length feature, which the first clause carries.
pub fn extract(
    n: &Normalised,
    clauses: &[Clause],
    out: &mut Vec<(u64, u16)>,
    buf: &mut Vec<u32>,
) -> u64 {
    out.clear();
    let mut han = 0usize;
    for (ci, cl) in clauses.iter().enumerate() {
        let ci = ci.min(u16::MAX as usize) as u16;
        buf.clear();
        buf.push(BEGIN);
        push_chars(n, cl, buf);
        buf.push(END);
        han += buf.len() - 2;
        for i in 0..buf.len() {
            if i > 0 && i + 1 < buf.len() {
                out.push((key(1, 0, 0, buf[i]), ci));
            }
            if i + 1 < buf.len() {
                out.push((key(2, 0, buf[i], buf[i + 1]), ci));
            }
            if i + 2 < buf.len() {
                out.push((key(3, buf[i], buf[i + 1], buf[i + 2]), ci));
            }
        }
        for (flag, _) in Cues::ALL {
            if cl.cues.has(Cues::for_model(flag)) {
                out.push((cue_key(flag), ci));
            }
        }
    }
    let length = length_key(bucket(han));
    out.push((length, 0));
    length
}

/// The clause's characters as n-gram units, pushed to `buf`. A run of one character
/// counts twice at most: 「啊啊啊……」 pasted two thousand times must not outweigh every
/// word a line says.
fn push_chars(n: &Normalised, cl: &Clause, buf: &mut Vec<u32>) {
    let from = buf.len();
    for x in n.chars[cl.start..cl.end].iter().filter_map(|c| class(c.c)) {
        let l = buf.len();
        if l >= from + 2 && buf[l - 1] == x && buf[l - 2] == x {
            continue;
        }
        buf.push(x);
    }
}

fn bucket(han: usize) -> u32 {
    match han {
        0..=4 => 0,
        5..=10 => 1,
        11..=25 => 2,
        26..=50 => 3,
        _ => 4,
    }
}

/// The key of the length feature [`extract`] gives `clauses` read as one line.
pub fn length_key_of(n: &Normalised, clauses: &[Clause], buf: &mut Vec<u32>) -> u64 {
    let mut han = 0;
    for cl in clauses {
        buf.clear();
        push_chars(n, cl, buf);
        han += buf.len();
    }
    length_key(bucket(han))
}
