//! The act model: one linear scorer per output (each act, and each 禁语 the deck lists),
//! over the line's features, with a threshold per act chosen by cross-validation.
//!
//! Linear, because a trainer must be able to see why a line read as it did (the
//! weights of its n-grams, and the nearest example), because it scores a line in about
//! a microsecond, and because a few thousand example lines are enough to fit it. The
//! default model is trained by the build script from `rubrics/examples/*.tsv` and
//! embedded in the binary; a house rubric's model is trained when it loads. This file
//! is also compiled into the build script: it uses only `std`.

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Output labels: act ids, and `forbidden:ID` for each 禁语.
    pub outputs: Vec<String>,
    /// Feature keys, in the order of their weight rows.
    pub keys: Vec<u64>,
    /// `keys.len() × outputs.len()` weights, row per feature, as `i8` steps of
    /// `scale`: a row fits in one cache line, and a line's features are about a
    /// hundred rows read at random.
    pub weights: Vec<i8>,
    pub scale: f32,
    pub bias: Vec<f32>,
    /// Decision threshold per output, on the logit.
    pub thresholds: Vec<f32>,
    /// Open-addressing index: `(key, row + 1)`, row 0 for empty; the key is beside its
    /// row number so a lookup touches one cache line of the table.
    table: Vec<(u64, u32)>,
    mask: usize,
}

const MAGIC: &[u8; 4] = b"PLM2";

fn slot_of(key: u64, mask: usize) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
}

impl Model {
    /// A model from float weights (quantised here).
    pub fn new(
        outputs: Vec<String>,
        keys: Vec<u64>,
        weights: &[f32],
        bias: Vec<f32>,
        thresholds: Vec<f32>,
    ) -> Self {
        let max = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let q = weights
            .iter()
            .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        Self::quantised(outputs, keys, q, scale, bias, thresholds)
    }

    fn quantised(
        outputs: Vec<String>,
        keys: Vec<u64>,
        weights: Vec<i8>,
        scale: f32,
        bias: Vec<f32>,
        thresholds: Vec<f32>,
    ) -> Self {
        let cap = (keys.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut table = vec![(0u64, 0u32); cap];
        for (i, &k) in keys.iter().enumerate() {
            let mut s = slot_of(k, mask);
            while table[s].1 != 0 {
                s = (s + 1) & mask;
            }
            table[s] = (k, i as u32 + 1);
        }
        Self {
            outputs,
            keys,
            weights,
            scale,
            bias,
            thresholds,
            table,
            mask,
        }
    }

    /// The float weight of feature `key` for output `a`, if the model knows the key.
    pub fn weight(&self, key: u64, a: usize) -> Option<f32> {
        self.row(key).map(|r| f32::from(r[a]) * self.scale)
    }

    pub fn width(&self) -> usize {
        self.outputs.len()
    }

    /// The weight row of a feature, if the model knows it.
    pub fn row(&self, key: u64) -> Option<&[i8]> {
        let mut s = slot_of(key, self.mask);
        loop {
            let (k, v) = self.table[s];
            if v == 0 {
                return None;
            }
            if k == key {
                let (i, w) = ((v - 1) as usize, self.width());
                return Some(&self.weights[i * w..(i + 1) * w]);
            }
            s = (s + 1) & self.mask;
        }
    }

    /// Scores of a line: `line` gets the bias plus every feature's weights; `clauses`
    /// (`n_clauses × width`) gets each clause's share, for finding where an act is.
    pub fn score(
        &self,
        feats: &[(u64, u16)],
        n_clauses: usize,
        acc: &mut Vec<i32>,
        line: &mut Vec<f32>,
        clauses: &mut Vec<f32>,
    ) {
        let w = self.width();
        let n = n_clauses.max(1);
        acc.clear();
        acc.resize(n * w, 0);
        for &(k, ci) in feats {
            if let Some(row) = self.row(k) {
                let ci = (ci as usize).min(n - 1);
                for (a, b) in acc[ci * w..(ci + 1) * w].iter_mut().zip(row) {
                    *a += i32::from(*b);
                }
            }
        }
        clauses.clear();
        clauses.extend(acc.iter().map(|&x| x as f32 * self.scale));
        line.clear();
        line.extend_from_slice(&self.bias);
        for c in 0..n {
            for (a, b) in line.iter_mut().zip(&clauses[c * w..(c + 1) * w]) {
                *a += *b;
            }
        }
    }

    /// The model as bytes (little-endian), for embedding and caching.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.weights.len() * 4 + self.keys.len() * 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.outputs.len() as u32).to_le_bytes());
        for o in &self.outputs {
            out.extend_from_slice(&(o.len() as u32).to_le_bytes());
            out.extend_from_slice(o.as_bytes());
        }
        out.extend_from_slice(&(self.keys.len() as u32).to_le_bytes());
        for k in &self.keys {
            out.extend_from_slice(&k.to_le_bytes());
        }
        out.extend(self.weights.iter().map(|&w| w as u8));
        out.extend_from_slice(&self.scale.to_le_bytes());
        for v in self.bias.iter().chain(&self.thresholds) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Read a model written by [`Model::to_bytes`]; `None` if the bytes are not one.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let mut r = Reader { b, at: 0 };
        if r.take(4)? != MAGIC {
            return None;
        }
        let n_out = r.u32()? as usize;
        let mut outputs = Vec::with_capacity(n_out);
        for _ in 0..n_out {
            let len = r.u32()? as usize;
            outputs.push(String::from_utf8(r.take(len)?.to_vec()).ok()?);
        }
        let n_keys = r.u32()? as usize;
        let mut keys = Vec::with_capacity(n_keys);
        for _ in 0..n_keys {
            keys.push(u64::from_le_bytes(r.take(8)?.try_into().ok()?));
        }
        let weights: Vec<i8> = r
            .take(n_keys.checked_mul(n_out)?)?
            .iter()
            .map(|&b| b as i8)
            .collect();
        let mut floats = |n: usize| -> Option<Vec<f32>> {
            let raw = r.take(n.checked_mul(4)?)?;
            Some(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        };
        let scale = floats(1)?[0];
        let bias = floats(n_out)?;
        let thresholds = floats(n_out)?;
        Some(Self::quantised(
            outputs, keys, weights, scale, bias, thresholds,
        ))
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// The logistic function: a logit as a probability.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}
