//! Fitting the act model from labelled example lines, and cross-validating it.
//!
//! Examples are lines `ACTS<TAB>TEXT` (see `rubrics/acts.md`). Training is one-vs-rest
//! logistic regression with AdaGrad, fitted several times in fixed shuffles from a fixed
//! seed and averaged, so the same examples always give the same model, byte for byte.
//! Each output's decision threshold is chosen on out-of-fold scores (k-fold), which
//! also gives the cross-validation table. This file is also compiled into the build
//! script: it uses only `std`.

use super::clause;
use super::features;
use super::model::Model;
use super::normalise::normalise;

/// One labelled example line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    /// Act ids, and `forbidden:ID` for a 禁语 (the plain `forbidden` is implied).
    pub labels: Vec<String>,
    /// Where it came from: file name and 1-based line.
    pub file: String,
    pub line: usize,
}

/// A problem in an examples file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Parse an examples file. `known(label)` says whether an act label exists; unknown
/// labels, lines without a tab and empty texts are errors (all of them are reported).
pub fn parse_examples(
    text: &str,
    file: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<Example>, Vec<ExampleError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let err = |message: String| ExampleError {
            file: file.to_string(),
            line,
            message,
        };
        let Some((acts, body)) = raw.split_once('\t') else {
            errors.push(err(
                "缺少制表符：每行应为「行为<TAB>句子」 (expected `ACTS<TAB>TEXT`)".into(),
            ));
            continue;
        };
        let body = body.trim();
        if body.is_empty() {
            errors.push(err("句子是空的 (empty text)".into()));
            continue;
        }
        let mut labels = Vec::new();
        if acts.trim() != "-" {
            for a in acts.split([',', '\u{FF0C}']).map(str::trim) {
                if a.is_empty() {
                    continue;
                }
                if !known(a) {
                    errors.push(err(format!("不认识的行为「{a}」 (unknown act)")));
                    continue;
                }
                // A 禁语 label implies the act itself.
                if a.starts_with("forbidden:") && !labels.iter().any(|l| l == "forbidden") {
                    labels.push("forbidden".to_string());
                }
                if !labels.iter().any(|l| l == a) {
                    labels.push(a.to_string());
                }
            }
        }
        out.push(Example {
            text: body.to_string(),
            labels,
            file: file.to_string(),
            line,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Folds for thresholds (and the cross-validation table); 0 keeps every threshold 0.
    pub folds: usize,
    pub seed: u64,
    /// Models fitted per training set, each from its own shuffle, whose weights are
    /// averaged. One fit stops after `epochs` on a path its shuffle decides, and with
    /// weak regularisation that path matters: changing only the seed moved held-out
    /// precision by up to 0.02 and the calibration sets by a dozen inverted pairs, so
    /// adding a handful of examples flipped borderline lines both ways. The average
    /// of several shuffles keeps what they agree on.
    pub rounds: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 12,
            learning_rate: 0.25,
            l2: 1e-5,
            folds: 5,
            seed: 7,
            rounds: 5,
        }
    }
}

/// Counts for one output over a set of lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fp)
        }
    }

    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(self.tp + self.fn_)
        }
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Featurised examples: feature indices per line, label bits per line.
struct Data {
    feats: Vec<Vec<u32>>,
    ys: Vec<Vec<bool>>,
    keys: Vec<u64>,
}

/// Features seen in fewer example lines than this are dropped: a trigram met once
/// says little about the next line and costs a row of weights.
const MIN_LINES: u32 = 2;

fn featurise(examples: &[Example], outputs: &[String]) -> Data {
    let (mut f, mut buf) = (Vec::new(), Vec::new());
    let mut raw: Vec<Vec<u64>> = Vec::with_capacity(examples.len());
    let mut df: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
    for e in examples {
        let n = normalise(&e.text);
        let cl = clause::split(&n);
        features::extract(&n, &cl, &mut f, &mut buf);
        let keys: Vec<u64> = f.iter().map(|(k, _)| *k).collect();
        let mut uniq = keys.clone();
        uniq.sort_unstable();
        uniq.dedup();
        for k in uniq {
            *df.entry(k).or_default() += 1;
        }
        raw.push(keys);
    }
    let mut kept: Vec<u64> = df
        .iter()
        .filter(|(_, n)| **n >= MIN_LINES)
        .map(|(k, _)| *k)
        .collect();
    kept.sort_unstable();
    let index: std::collections::HashMap<u64, u32> = kept
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i as u32))
        .collect();
    let feats = raw
        .iter()
        .map(|ks| ks.iter().filter_map(|k| index.get(k).copied()).collect())
        .collect();
    let ys = examples
        .iter()
        .map(|e| outputs.iter().map(|o| e.labels.contains(o)).collect())
        .collect();
    Data {
        feats,
        ys,
        keys: kept,
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Fit weights on the lines `rows` of `data`. Returns (weights, bias).
fn fit(data: &Data, rows: &[usize], width: usize, opt: &TrainOptions) -> (Vec<f32>, Vec<f32>) {
    let nf = data.keys.len();
    let mut w = vec![0f32; nf * width];
    let mut g2 = vec![1e-6f32; nf * width];
    let mut b = vec![0f32; width];
    let mut bg2 = vec![1e-6f32; width];
    let mut order: Vec<usize> = rows.to_vec();
    let mut rng = Rng(opt.seed);
    let mut z = vec![0f32; width];
    for _ in 0..opt.epochs {
        for i in (1..order.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for &r in &order {
            z.copy_from_slice(&b);
            for &f in &data.feats[r] {
                let row = &w[f as usize * width..(f as usize + 1) * width];
                for (a, x) in z.iter_mut().zip(row) {
                    *a += *x;
                }
            }
            // Gradient of the log loss per output.
            for (a, zv) in z.iter_mut().enumerate() {
                let y = if data.ys[r][a] { 1.0 } else { 0.0 };
                *zv = super::model::sigmoid(*zv) - y;
            }
            for (a, g) in z.iter().enumerate() {
                bg2[a] += g * g;
                b[a] -= opt.learning_rate * g / bg2[a].sqrt();
            }
            for &f in &data.feats[r] {
                let base = f as usize * width;
                for (a, g) in z.iter().enumerate() {
                    let i = base + a;
                    let grad = g + opt.l2 * w[i];
                    g2[i] += grad * grad;
                    w[i] -= opt.learning_rate * grad / g2[i].sqrt();
                }
            }
        }
    }
    (w, b)
}

/// [`fit`] once per round, each from its own shuffle, with the weights averaged.
fn fit_averaged(
    data: &Data,
    rows: &[usize],
    width: usize,
    opt: &TrainOptions,
) -> (Vec<f32>, Vec<f32>) {
    let rounds = opt.rounds.max(1);
    let (mut w, mut b) = fit(data, rows, width, opt);
    for k in 1..rounds {
        let o = TrainOptions {
            seed: opt.seed.wrapping_add(k as u64 * 0x9E37_79B9),
            ..*opt
        };
        let (wk, bk) = fit(data, rows, width, &o);
        w.iter_mut().zip(&wk).for_each(|(a, x)| *a += x);
        b.iter_mut().zip(&bk).for_each(|(a, x)| *a += x);
    }
    let n = rounds as f32;
    w.iter_mut().for_each(|a| *a /= n);
    b.iter_mut().for_each(|a| *a /= n);
    (w, b)
}

fn logits(data: &Data, r: usize, w: &[f32], b: &[f32], width: usize, out: &mut [f32]) {
    out.copy_from_slice(b);
    for &f in &data.feats[r] {
        let row = &w[f as usize * width..(f as usize + 1) * width];
        for (a, x) in out.iter_mut().zip(row) {
            *a += *x;
        }
    }
}

/// Out-of-fold logits of every example (`examples.len() × outputs.len()`).
fn out_of_fold(data: &Data, width: usize, opt: &TrainOptions) -> Vec<f32> {
    let n = data.feats.len();
    let k = opt.folds.max(2);
    let mut oof = vec![0f32; n * width];
    // Folds by a fixed shuffle, so neighbouring lines of one author spread out.
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = Rng(opt.seed ^ 0xF01D);
    for i in (1..n).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        idx.swap(i, j);
    }
    for fold in 0..k {
        let train: Vec<usize> = (0..n).filter(|p| p % k != fold).map(|p| idx[p]).collect();
        let (w, b) = fit_averaged(data, &train, width, opt);
        for p in (0..n).filter(|p| p % k == fold) {
            let r = idx[p];
            logits(data, r, &w, &b, width, &mut oof[r * width..(r + 1) * width]);
        }
    }
    oof
}

/// The threshold in `[-2, 2]` that maximises F1 of one output on out-of-fold logits.
fn best_threshold(oof: &[f32], ys: &[Vec<bool>], a: usize, width: usize) -> f32 {
    let mut best = (f64::MIN, 0.0f32);
    for step in -20..=20 {
        let t = step as f32 * 0.1;
        let mut c = Counts::default();
        for (r, y) in ys.iter().enumerate() {
            match (oof[r * width + a] > t, y[a]) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                _ => {}
            }
        }
        // Prefer the threshold nearest 0 among equals.
        let f = c.f1() - f64::from(t.abs()) * 1e-6;
        if f > best.0 {
            best = (f, t);
        }
    }
    best.1
}

/// A trained model with its cross-validation counts per output (empty without folds).
pub struct Trained {
    pub model: Model,
    pub cv: Vec<Counts>,
}

/// Train on every example; with `folds`, thresholds and the table come from k-fold
/// cross-validation.
pub fn train(examples: &[Example], outputs: &[String], opt: &TrainOptions) -> Trained {
    let width = outputs.len();
    let data = featurise(examples, outputs);
    let mut thresholds = vec![0f32; width];
    let mut cv = Vec::new();
    if opt.folds >= 2 && examples.len() >= opt.folds * 2 {
        let oof = out_of_fold(&data, width, opt);
        for (a, t) in thresholds.iter_mut().enumerate() {
            *t = best_threshold(&oof, &data.ys, a, width);
        }
        cv = (0..width)
            .map(|a| {
                let mut c = Counts::default();
                for (r, y) in data.ys.iter().enumerate() {
                    match (oof[r * width + a] > thresholds[a], y[a]) {
                        (true, true) => c.tp += 1,
                        (true, false) => c.fp += 1,
                        (false, true) => c.fn_ += 1,
                        _ => {}
                    }
                }
                c
            })
            .collect();
    }
    let all: Vec<usize> = (0..examples.len()).collect();
    let (w, b) = fit_averaged(&data, &all, width, opt);
    // Drop features whose weights are all negligible: smaller, same decisions.
    let mut keys = Vec::new();
    let mut weights = Vec::new();
    for (f, k) in data.keys.iter().enumerate() {
        let row = &w[f * width..(f + 1) * width];
        if row.iter().any(|x| x.abs() > 1e-2) {
            keys.push(*k);
            weights.extend_from_slice(row);
        }
    }
    Trained {
        model: Model::new(outputs.to_vec(), keys, &weights, b, thresholds),
        cv,
    }
}
