//! Rubric calibration: before a rubric is used for assessment, trainers check it on
//! sample sessions they have labelled great, average and poor (one folder each). A
//! rubric is calibrated when every great session outscores every average one, and every
//! average one every poor one; where it does not, the offending pairs are listed.

use std::path::{Path, PathBuf};

/// The labels, best first, with the folder names that carry them.
pub const LABELS: [(&str, &[&str]); 3] = [
    ("great", &["great", "优秀", "good"]),
    ("average", &["average", "一般", "合格"]),
    ("poor", &["poor", "差", "不合格", "bad"]),
];

/// One scored sample.
#[derive(Debug, Clone)]
pub struct Sample {
    pub label: &'static str,
    pub path: PathBuf,
    pub total: f64,
}

/// Samples of one label, summarised.
#[derive(Debug, Clone)]
pub struct LabelStats {
    pub label: &'static str,
    pub count: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// A pair the rubric orders the wrong way round.
#[derive(Debug, Clone)]
pub struct Inversion {
    pub better: Sample,
    pub worse: Sample,
}

/// The files to score, by label: `DIR/<label folder>/*.jsonl`.
pub fn samples(dir: &Path) -> std::io::Result<Vec<(&'static str, PathBuf)>> {
    let mut out = Vec::new();
    for (label, names) in LABELS {
        for name in names {
            let sub = dir.join(name);
            if !sub.is_dir() {
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(&sub)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| (label, f)));
        }
    }
    Ok(out)
}

/// Per-label statistics (labels with no samples are left out) and every inversion.
pub fn check(scored: &[Sample]) -> (Vec<LabelStats>, Vec<Inversion>) {
    let stats = LABELS
        .iter()
        .filter_map(|(label, _)| {
            let v: Vec<f64> = scored
                .iter()
                .filter(|s| s.label == *label)
                .map(|s| s.total)
                .collect();
            (!v.is_empty()).then(|| LabelStats {
                label,
                count: v.len(),
                mean: v.iter().sum::<f64>() / v.len() as f64,
                min: v.iter().copied().fold(f64::INFINITY, f64::min),
                max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            })
        })
        .collect();
    let rank = |l: &str| LABELS.iter().position(|(x, _)| *x == l).unwrap_or(0);
    let mut inversions = Vec::new();
    for a in scored {
        for b in scored {
            if rank(a.label) < rank(b.label) && a.total <= b.total {
                inversions.push(Inversion {
                    better: a.clone(),
                    worse: b.clone(),
                });
            }
        }
    }
    (stats, inversions)
}

/// Chinese name of a label.
pub fn label_zh(label: &str) -> &'static str {
    match label {
        "great" => "优秀",
        "average" => "一般",
        _ => "差",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(label: &'static str, total: f64) -> Sample {
        Sample {
            label,
            path: PathBuf::from(format!("{label}-{total}")),
            total,
        }
    }

    #[test]
    fn finds_pairs_in_the_wrong_order() {
        let (stats, inv) = check(&[s("great", 90.0), s("average", 70.0), s("poor", 30.0)]);
        assert_eq!(stats.len(), 3);
        assert!(inv.is_empty());
        let (_, inv) = check(&[s("great", 60.0), s("average", 70.0), s("poor", 30.0)]);
        assert_eq!(inv.len(), 1);
        assert_eq!(inv[0].better.label, "great");
        assert_eq!(inv[0].worse.label, "average");
    }
}
