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
#[derive(Debug, Clone)]
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
    /// Open-addressing index: `(fingerprint, row + 1)`, row 0 for empty. Eight bytes a
    /// slot, so the index of a default model (half a megabyte) stays in cache, and the
    /// fingerprint (the low half of the key's hash) spares a look at the record of a
    /// key that merely shares the slot.
    table: Vec<(u32, u32)>,
    mask: usize,
    /// Each row as a record of `stride` bytes starting at `records_at` (a cache line
    /// boundary): the key (little-endian) and then the row's weights, so a lookup that
    /// finds its key has the weights in the same cache line.
    records: Vec<u8>,
    records_at: usize,
    stride: usize,
}

/// The model, as trained: the index and records are derived from it.
impl PartialEq for Model {
    fn eq(&self, o: &Self) -> bool {
        self.outputs == o.outputs
            && self.keys == o.keys
            && self.weights == o.weights
            && self.scale == o.scale
            && self.bias == o.bias
            && self.thresholds == o.thresholds
    }
}

const MAGIC: &[u8; 4] = b"PLM2";

const CACHE_LINE: usize = 64;

/// A key's hash: the slot from the high half, the fingerprint from the low half.
fn hash_of(key: u64) -> u64 {
    // The finaliser of splitmix64: every bit of the key reaches both halves.
    let mut z = key;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
        let mut table = vec![(0u32, 0u32); cap];
        for (i, &k) in keys.iter().enumerate() {
            let h = hash_of(k);
            let mut s = (h >> 32) as usize & mask;
            while table[s].1 != 0 {
                s = (s + 1) & mask;
            }
            table[s] = (h as u32, i as u32 + 1);
        }
        let w = outputs.len();
        let stride = (8 + w).next_multiple_of(CACHE_LINE);
        let mut records = vec![0u8; keys.len() * stride + CACHE_LINE];
        let records_at = records.as_ptr().align_offset(CACHE_LINE).min(CACHE_LINE);
        for (i, &k) in keys.iter().enumerate() {
            let r = &mut records[records_at + i * stride..][..8 + w];
            r[..8].copy_from_slice(&k.to_le_bytes());
            for (b, &x) in r[8..].iter_mut().zip(&weights[i * w..(i + 1) * w]) {
                *b = x as u8;
            }
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
            records,
            records_at,
            stride,
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
        let i = self.row_number(key).checked_sub(1)? as usize;
        let w = self.width();
        Some(&self.weights[i * w..(i + 1) * w])
    }

    /// The record of row `i`: the key's 8 bytes, then the row.
    fn record(&self, i: usize) -> &[u8] {
        &self.records[self.records_at + i * self.stride..][..8 + self.width()]
    }

    /// The row of a feature plus one, or 0 if the model does not know it.
    fn row_number(&self, key: u64) -> u32 {
        self.row_number_hashed(key, hash_of(key))
    }

    /// [`Model::row_number`] with the key's hash given.
    fn row_number_hashed(&self, key: u64, h: u64) -> u32 {
        let mut s = (h >> 32) as usize & self.mask;
        loop {
            let (f, v) = self.table[s];
            if v == 0 {
                return 0;
            }
            if f == h as u32 {
                let r = self.record(v as usize - 1);
                if r[..8] == key.to_le_bytes() {
                    return v;
                }
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
        // A line's features are about a hundred records read at random from a table
        // larger than the cache. First every record a key's home slot names is read,
        // without a branch on what is found: the reads do not wait on each other, so
        // their cache misses overlap. The lookups and sums that follow then find the
        // records in cache instead of queueing on one miss after another.
        const BATCH: usize = 64;
        let (mut hashes, mut rows) = ([0u64; BATCH], [0u32; BATCH]);
        for batch in feats.chunks(BATCH) {
            let mut touched = 0u8;
            for (h, &(k, _)) in hashes.iter_mut().zip(batch) {
                *h = hash_of(k);
                let (_, v) = self.table[(*h >> 32) as usize & self.mask];
                touched ^=
                    self.records[self.records_at + (v as usize).saturating_sub(1) * self.stride];
            }
            std::hint::black_box(touched);
            for ((r, &h), &(k, _)) in rows.iter_mut().zip(&hashes).zip(batch) {
                *r = self.row_number_hashed(k, h);
            }
            for (&r, &(_, ci)) in rows.iter().zip(batch) {
                let Some(r) = (r as usize).checked_sub(1) else {
                    continue;
                };
                let row = &self.record(r)[8..];
                let ci = (ci as usize).min(n - 1);
                for (a, &b) in acc[ci * w..(ci + 1) * w].iter_mut().zip(row) {
                    *a += i32::from(b as i8);
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
