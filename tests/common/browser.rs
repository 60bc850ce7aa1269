//! A real browser for the tests that need one: headless Chromium from the
//! distribution's packages (`.ci/run` installs it), found or reported missing, and the
//! pixels of its screenshots.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Chromium, if this machine has it.
pub fn chromium() -> Option<PathBuf> {
    program("chromium")
}

/// Chromium's WebDriver server (Debian's `chromium-driver`), if this machine has it.
pub fn chromedriver() -> Option<PathBuf> {
    program("chromedriver")
}

/// A program in /usr/bin or on the PATH.
fn program(name: &str) -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin").join(name);
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The screenshot's pixels as RGB triples.
pub fn pixels(png_file: &Path) -> Vec<[u8; 3]> {
    let file = std::io::BufReader::new(std::fs::File::open(png_file).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected screenshot colour type {other:?}"),
    };
    buf[..info.buffer_size()]
        .chunks_exact(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// How many pixels of a screenshot differ from its background (its commonest
/// colour) and how many have the colour `rgb`; panics when the screenshot is blank
/// (fewer than one in a hundred drawn).
pub fn drawn(px: &[[u8; 3]], rgb: [u8; 3]) -> (usize, usize) {
    let mut counts = std::collections::HashMap::new();
    for p in px {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let background = counts.values().max().copied().unwrap();
    let other = px.len() - background;
    assert!(
        other * 100 > px.len(),
        "the screenshot is blank: only {other} of {} pixels differ from the background",
        px.len()
    );
    (other, counts.get(&rgb).copied().unwrap_or(0))
}
