//! Semantic checks of a persona file, beyond what the TOML types enforce: ranges,
//! references to signal kinds of the rubric, regex syntax, slot names, and that every
//! pool the engine draws from has lines. All problems of a file are collected.

use std::collections::{BTreeSet, HashSet};

use super::{BUILTIN_SLOTS, EVENTS, LEVELS, Level, Persona};
use crate::diag::{FieldPath, Problem, clip};
use crate::rubric::Analyser;

/// Every problem of a parsed persona, checked against the rubric's signal kinds.
pub fn validate(p: &Persona, rubric: &Analyser) -> Vec<Problem> {
    validate_with(p, rubric, true)
}

/// Like [`validate`]; `check_patterns = false` skips parsing the regexes again and
/// analysing the needs' tips, for the embedded personas which the test suite has
/// already checked (the rest — kinds, which depend on the rubric in use — is always
/// checked).
pub fn validate_with(p: &Persona, rubric: &Analyser, check_patterns: bool) -> Vec<Problem> {
    let mut v = Checker {
        out: Vec::new(),
        rubric,
        check_patterns,
    };
    v.persona(p);
    v.out
}

/// Lines every trainee may open with; no remedy, policy term or forbidden promise
/// may match one.
const GREETINGS: [&str; 6] = [
    "\u{60a8}\u{597d}",                 // 您好
    "\u{4f60}\u{597d}",                 // 你好
    "\u{5582}\u{ff0c}\u{60a8}\u{597d}", // 喂，您好
    "\u{60a8}\u{597d}\u{ff0c}\u{8bf7}\u{95ee}\u{6709}\u{4ec0}\u{4e48}\u{53ef}\u{4ee5}\u{5e2e}\u{60a8}\u{ff1f}", // 您好，请问有什么可以帮您？
    "\u{597d}\u{7684}", // 好的
    "\u{55ef}",         // 嗯
];

struct Checker<'a> {
    out: Vec<Problem>,
    rubric: &'a Analyser,
    check_patterns: bool,
}

impl Checker<'_> {
    fn push(&mut self, at: FieldPath, msg: impl Into<String>) {
        self.out.push(Problem::new(at, msg));
    }

    fn range_i(&mut self, at: FieldPath, v: i64, lo: i64, hi: i64) {
        if v < lo || v > hi {
            self.push(
                at,
                format!("取值 {v} 超出范围；expected an integer from {lo} to {hi}"),
            );
        }
    }

    fn range_f(&mut self, at: FieldPath, v: f64, lo: f64, hi: f64) {
        if !(v.is_finite() && v >= lo && v <= hi) {
            self.push(
                at,
                format!("取值 {v} 超出范围；expected a number from {lo} to {hi}"),
            );
        }
    }

    fn non_empty(&mut self, at: FieldPath, s: &str) {
        if s.trim().is_empty() {
            self.push(at, "不能为空；expected non-empty text");
        }
    }

    fn kind(&mut self, at: FieldPath, k: &str) {
        if !self.rubric.knows_kind(k) {
            let known: Vec<&str> = self.rubric.kinds().iter().map(|k| k.id.as_str()).collect();
            self.push(
                at,
                format!(
                    "未知的信号类型「{}」{}；expected one of {}",
                    clip(k),
                    did_you_mean(k, known.iter().copied()),
                    known.join(", ")
                ),
            );
        }
    }

    /// Whether anything a trainee says can produce `kind`: an act of the reading, or a
    /// rule of the rubric. A kind declared under `[kinds]` with no rule never fires.
    fn producible(&self, kind: &str) -> bool {
        crate::reading::Act::ALL
            .iter()
            .any(|a| crate::rubric::kind_of_act(*a) == kind)
            || self.rubric.rubric().rules.iter().any(|r| r.kind == kind)
    }

    /// Each pattern compiled as the engine compiles it (same builder, same limits),
    /// so that none that passes here is dropped in a session. With `greetings`, a
    /// pattern must not match a plain greeting: it decides an outcome (a remedy
    /// offered, the policy stated, a promise broken) and would do so on the first line.
    fn regexes(&mut self, at: FieldPath, pats: &[String], required: bool, greetings: bool) {
        if required && pats.is_empty() {
            self.push(
                at.clone(),
                "至少要有一个模式；expected at least one regex pattern",
            );
        }
        if !self.check_patterns {
            return;
        }
        for (i, pat) in pats.iter().enumerate() {
            match crate::pattern::compile(pat) {
                Err(e) => self.push(at.index(i), e),
                Ok(re) if greetings => {
                    if let Some(g) = GREETINGS.iter().find(|g| re.is_match(g)) {
                        self.push(
                            at.index(i),
                            format!("模式连问候语「{g}」都能匹配，会在开口第一句就生效；expected a pattern for what this item is, not any line"),
                        );
                    }
                }
                Ok(_) => {}
            }
        }
    }

    /// Slots used in `text` must be known; reports each unknown one.
    fn slots(&mut self, at: FieldPath, text: &str, known: &BTreeSet<&str>) {
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                self.push(at, "有未闭合的 {;expected `{slot}`");
                return;
            };
            let name = &after[..close];
            if !known.contains(name) {
                self.push(
                    at.clone(),
                    format!(
                        "未知的占位「{{{}}}」{}；expected one of {}",
                        clip(name),
                        did_you_mean(name, known.iter().copied()),
                        known
                            .iter()
                            .map(|s| format!("{{{s}}}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                );
            }
            rest = &after[close + 1..];
        }
    }

    fn persona(&mut self, p: &Persona) {
        let root = FieldPath::root();
        if p.id.is_empty()
            || !p
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            self.push(
                root.key("id"),
                "编号只能用小写字母、数字和 -;expected lowercase ASCII letters, digits and `-`",
            );
        }
        self.non_empty(root.key("name"), &p.name);
        self.non_empty(root.key("summary"), &p.summary);
        for (field, list) in [("traits", &p.traits), ("advice", &p.advice)] {
            if list.iter().all(|s| s.trim().is_empty()) {
                self.push(root.key(field), "至少写一条；expected at least one line");
            }
        }

        let m = &p.mood;
        let mp = root.key("mood");
        self.range_i(mp.key("anger"), m.anger.into(), 0, 100);
        self.range_i(mp.key("trust"), m.trust.into(), 0, 100);
        self.range_i(mp.key("walk_out_at"), m.walk_out_at.into(), 1, 100);
        self.range_i(mp.key("accept_below"), m.accept_below.into(), 1, 100);
        self.range_i(mp.key("patience"), m.patience.into(), 1, 200);
        self.range_f(mp.key("repeat_decay"), m.repeat_decay, 0.0, 1.0);
        if (0..=100).contains(&m.anger) && m.anger >= m.walk_out_at {
            self.push(
                mp.key("anger"),
                format!(
                    "开场愤怒 {} 已达到走人线 walk_out_at = {};expected anger below walk_out_at",
                    m.anger, m.walk_out_at
                ),
            );
        }

        if (1..=100).contains(&m.accept_below) && m.accept_below >= m.walk_out_at {
            self.push(
                mp.key("accept_below"),
                format!(
                    "接受线 accept_below = {} 不低于走人线 walk_out_at = {}，等于没有接受条件；expected accept_below below walk_out_at",
                    m.accept_below, m.walk_out_at
                ),
            );
        }

        for name in LEVELS {
            let level: &Level = p.difficulty.get(name).expect("LEVELS names every level");
            let lp = root.key("difficulty").key(name);
            self.range_i(lp.key("anger"), level.anger.into(), -50, 50);
            self.range_f(lp.key("calming"), level.calming, 0.1, 3.0);
            self.range_f(lp.key("provoking"), level.provoking, 0.1, 3.0);
            self.range_i(lp.key("patience"), level.patience.into(), -20, 20);
            if i64::from(m.patience) + i64::from(level.patience) < 1 {
                self.push(
                    lp.key("patience"),
                    "耐心轮数减到 1 以下；expected persona patience plus this to be at least 1",
                );
            }
        }

        for (key, r) in &p.reactions {
            let rp = root.key("reactions").key(key);
            if !self.rubric.knows_kind(key) && !EVENTS.contains(&key.as_str()) {
                let kinds: Vec<&str> = self.rubric.kinds().iter().map(|k| k.id.as_str()).collect();
                let near = did_you_mean(key, kinds.iter().copied().chain(EVENTS));
                self.push(
                    rp.clone(),
                    format!(
                        "未知的信号类型或事件「{}」{near}；expected a signal kind ({}) or an event ({})",
                        clip(key),
                        kinds.join(", "),
                        EVENTS.join(", ")
                    ),
                );
            }
            self.range_i(rp.key("anger"), r.anger.into(), -100, 100);
            self.range_i(rp.key("trust"), r.trust.into(), -100, 100);
        }

        let mut need_ids = HashSet::new();
        for (i, n) in p.needs.iter().enumerate() {
            let np = root.key("needs").index(i);
            self.non_empty(np.key("id"), &n.id);
            if !need_ids.insert(n.id.as_str()) {
                self.push(
                    np.key("id"),
                    format!("需求编号「{}」重复；expected unique ids", clip(&n.id)),
                );
            }
            self.non_empty(np.key("label"), &n.label);
            for (j, k) in n.any.iter().enumerate() {
                self.kind(np.key("any").index(j), k);
            }
            // A tip is said word for word by trainees: it must meet the need it is for.
            // Analysing builds the rubric's automata, so like the regexes this is left to
            // the test suite for the embedded personas (start-up stays fast).
            let known = n.any.iter().all(|k| self.rubric.knows_kind(k));
            if self.check_patterns && !n.tip.trim().is_empty() && !n.any.is_empty() && known {
                let found: Vec<&str> = self
                    .rubric
                    .analyse(&n.tip)
                    .iter()
                    .map(|s| self.rubric.kind(s).id.as_str())
                    .collect();
                if !n.any.iter().any(|k| found.contains(&k.as_str())) {
                    let got = if found.is_empty() {
                        "分析器在这句里找不到任何信号".to_string()
                    } else {
                        format!("分析器在这句里只找到 {}", found.join(", "))
                    };
                    self.push(
                        np.key("tip"),
                        format!(
                            "照这句说满足不了这个需求，{got}（这句若要靠本店规则的例句才读得出，检查时加 --rubric 本店规则文件，或在配置文件里写 rubric = \"……\"）；expected a tip with one of {}",
                            n.any.join(", ")
                        ),
                    );
                }
            }
            if n.any.is_empty() && !n.policy {
                self.push(
                    np.clone(),
                    "需求没有条件；expected `any = [\"kind\", …]` or `policy = true`",
                );
            }
            if n.count == 0 {
                self.push(
                    np.key("count"),
                    "至少要 1 轮，写 count = 1 或更大；expected an integer of at least 1",
                );
            }
            if let Some(by) = n.by_turn
                && by < n.after_turn.max(1)
            {
                self.push(
                    np.key("by_turn"),
                    format!(
                        "by_turn = {by} 早于 after_turn = {};expected by_turn ≥ after_turn",
                        n.after_turn
                    ),
                );
            }
        }
        self.needs_reachable(p);
        for (name, v) in p.weights.fields() {
            if let Some(msg) = v.and_then(crate::rubric::points_problem) {
                self.push(root.key("weights").key(name), msg);
            }
        }
        for (j, k) in p.behaviour.first_remedy_needs.iter().enumerate() {
            self.kind(root.key("behaviour").key("first_remedy_needs").index(j), k);
        }

        // Slots a shared line may use: the built-in ones and those every scenario defines.
        let mut shared: BTreeSet<&str> = BUILTIN_SLOTS.into_iter().collect();
        if let Some(first) = p.scenarios.first() {
            for key in first.slots.keys() {
                if p.scenarios.iter().all(|s| s.slots.contains_key(key)) {
                    shared.insert(key);
                }
            }
        }
        for (name, pool) in p.lines.pools() {
            let lp = root.key("lines").key(name);
            if pool.iter().all(|l| l.trim().is_empty()) && !super::OPTIONAL_POOLS.contains(&name) {
                self.push(
                    lp.clone(),
                    format!(
                        "台词库 {name} 是空的，客户会无话可说；add `{name} = [\"……\"]` under [lines]"
                    ),
                );
            }
            for (i, line) in pool.iter().enumerate() {
                self.slots(lp.index(i), line, &shared);
            }
        }

        if p.scenarios.is_empty() {
            self.push(
                root.key("scenarios"),
                "至少要有一个场景；expected at least one [[scenarios]]",
            );
        }
        let mut scenario_ids = HashSet::new();
        for (i, s) in p.scenarios.iter().enumerate() {
            let sp = root.key("scenarios").index(i);
            if !scenario_ids.insert(s.id.as_str()) {
                self.push(
                    sp.key("id"),
                    format!("场景编号「{}」重复；expected unique ids", clip(&s.id)),
                );
            }
            for (field, text) in [
                ("id", &s.id),
                ("title", &s.title),
                ("industry", &s.industry),
                ("brief", &s.brief),
                ("product", &s.product),
                ("demand", &s.demand),
            ] {
                self.non_empty(sp.key(field), text);
            }
            let mut own: BTreeSet<&str> = BUILTIN_SLOTS.into_iter().collect();
            own.extend(s.slots.keys().map(String::as_str));
            for (j, line) in s.opening.iter().enumerate() {
                self.slots(sp.key("opening").index(j), line, &own);
            }
            self.channel_opening(p, s, &sp);
            let mut fact_ids = HashSet::new();
            for (j, f) in s.facts.iter().enumerate() {
                let fp = sp.key("facts").index(j);
                if !fact_ids.insert(f.id.as_str()) {
                    self.push(
                        fp.key("id"),
                        format!("事实编号「{}」重复；expected unique ids", clip(&f.id)),
                    );
                }
                self.non_empty(fp.key("answer"), &f.answer);
                self.slots(fp.key("answer"), &f.answer, &own);
                self.regexes(fp.key("asked_by"), &f.asked_by, true, false);
            }
            if s.remedies.is_empty() {
                self.push(
                    sp.key("remedies"),
                    "至少要有一个方案；expected at least one [[scenarios.remedies]]",
                );
            } else if !s.remedies.iter().any(|r| r.accept) {
                self.push(
                    sp.key("remedies"),
                    "没有客户能接受的方案，这个场景永远解决不了；expected at least one remedy with accept = true",
                );
            }
            let mut remedy_ids = HashSet::new();
            for (j, r) in s.remedies.iter().enumerate() {
                let rp = sp.key("remedies").index(j);
                if !remedy_ids.insert(r.id.as_str()) {
                    self.push(
                        rp.key("id"),
                        format!("方案编号「{}」重复；expected unique ids", clip(&r.id)),
                    );
                }
                self.non_empty(rp.key("label"), &r.label);
                self.regexes(rp.key("patterns"), &r.patterns, true, true);
                if !r.accept && r.reason.trim().is_empty() {
                    self.push(
                        rp.key("reason"),
                        "客户拒绝的方案要写明理由；add `reason = \"……\"` (the customer says it when refusing)",
                    );
                }
                self.slots(rp.key("reason"), &r.reason, &own);
            }
            let pp = sp.key("policy");
            self.non_empty(pp.key("summary"), &s.policy.summary);
            self.regexes(pp.key("terms"), &s.policy.terms, false, true);
            for (j, f) in s.policy.forbids.iter().enumerate() {
                let at = pp.key("forbids").index(j).key("patterns");
                let before = self.out.len();
                self.regexes(at.clone(), &f.patterns, true, true);
                // The promise ledger searches them as one alternation.
                if self.check_patterns
                    && self.out.len() == before
                    && let Err(e) = crate::pattern::compile_any(&f.patterns)
                {
                    self.push(at, e);
                }
                self.non_empty(pp.key("forbids").index(j).key("why"), &f.why);
            }
            if p.needs.iter().any(|n| n.policy) && s.policy.terms.is_empty() {
                self.push(
                    pp.key("terms"),
                    "有需求要求说明政策（policy = true），但这个场景没有 terms；expected at least one regex",
                );
            }
        }

        for (i, c) in p.checks.iter().enumerate() {
            let cp = root.key("checks").index(i);
            self.non_empty(cp.key("name"), &c.name);
            if let Some(s) = &c.scenario
                && !p.scenarios.iter().any(|x| &x.id == s)
            {
                self.push(
                    cp.key("scenario"),
                    format!(
                        "没有编号为「{}」的场景；expected a scenario id of this persona",
                        clip(s)
                    ),
                );
            }
            if let Some(d) = &c.difficulty
                && !LEVELS.contains(&d.as_str())
            {
                self.push(
                    cp.key("difficulty"),
                    format!("未知难度「{}」；expected easy, normal or hard", clip(d)),
                );
            }
            if c.lines.is_empty() {
                self.push(
                    cp.key("lines"),
                    "自检至少要有一句学员台词：写 lines = [\"您好……\"];expected at least one trainee line",
                );
            }
        }
    }
}

impl Checker<'_> {
    /// Every need must be reachable before the customer runs out of patience at
    /// every difficulty: it counts from `after_turn` (turn 1 at the earliest), once a
    /// turn, `count` times, and a remedy accepted on the turn the last need is met
    /// still resolves the call.
    fn needs_reachable(&mut self, p: &Persona) {
        let Some((level, patience)) = LEVELS
            .iter()
            .filter_map(|name| {
                let lv = p.difficulty.get(name)?;
                Some((
                    *name,
                    (i64::from(p.mood.patience) + i64::from(lv.patience)).max(1),
                ))
            })
            .min_by_key(|(_, turns)| *turns)
        else {
            return;
        };
        let normal = (i64::from(p.mood.patience) + i64::from(p.difficulty.normal.patience)).max(1);
        for (i, n) in p.needs.iter().enumerate() {
            let np = FieldPath::root().key("needs").index(i);
            let known = n.any.iter().all(|k| self.rubric.knows_kind(k));
            if !n.any.is_empty() && known && !n.any.iter().any(|k| self.producible(k)) {
                self.push(
                    np.key("any"),
                    format!(
                        "学员说什么都触发不了 {}：读句不会读出这类，规则里也没有这类的规则，这个需求永远满足不了；换成内置的类型，或在规则文件里为它写规则；expected a kind some act or rule produces",
                        n.any.join("、")
                    ),
                );
            }
            if let Some(by) = n.by_turn
                && i64::from(by) > normal
            {
                self.push(
                    np.key("by_turn"),
                    format!(
                        "期限第 {by} 轮比客户的耐心还长（普通难度只等 {normal} 轮），这个期限不起作用；写 {normal} 以内的轮数；expected by_turn ≤ patience"
                    ),
                );
            }
            let earliest = i64::from(n.after_turn.max(1)) + i64::from(n.count.max(1)) - 1;
            if earliest > patience {
                self.push(
                    np.key("after_turn"),
                    format!(
                        "最早第 {earliest} 轮才能满足，可难度 {level} 的客户只等 {patience} 轮，这个客户永远不会接受方案；expected after_turn + count - 1 ≤ patience at every difficulty"
                    ),
                );
            }
            if let Some(by) = n.by_turn
                && by >= n.after_turn.max(1)
                && earliest > i64::from(by)
            {
                self.push(
                    np.key("count"),
                    format!(
                        "要 {} 轮才能满足，但必须在第 {by} 轮前满足（最早第 {earliest} 轮）；expected after_turn + count - 1 ≤ by_turn",
                        n.count
                    ),
                );
            }
        }
    }
}

/// 「，是不是 `x`？」 for a name near a known one, else nothing.
fn did_you_mean<'k>(name: &str, known: impl IntoIterator<Item = &'k str>) -> String {
    crate::diag::nearest(name, known)
        .map(|n| format!("\u{FF0C}是不是 `{n}`\u{FF1F}"))
        .unwrap_or_default()
}

/// Words only a caller says: a customer at a counter or in a chat does not say them.
const PHONE_CUES: [&str; 3] = [
    "\u{5582}",
    "\u{8FD9}\u{4E2A}\u{7535}\u{8BDD}",
    "\u{8FD9}\u{901A}\u{7535}\u{8BDD}",
]; // 喂 这个电话 这通电话

impl Checker<'_> {
    /// A scenario at a counter or in a chat without openings of its own opens with the
    /// persona's `opening` lines: none of them may be a phone call's (「喂？」).
    fn channel_opening(&mut self, p: &Persona, s: &super::Scenario, at: &FieldPath) {
        if s.channel == super::Channel::Phone || !s.opening.is_empty() {
            return;
        }
        let Some((i, line)) = p
            .lines
            .opening
            .iter()
            .enumerate()
            .find(|(_, l)| PHONE_CUES.iter().any(|c| l.contains(c)))
        else {
            return;
        };
        let channel = match s.channel {
            super::Channel::Counter => "到店（counter）",
            _ => "在线聊天（chat）",
        };
        self.push(
            at.key("channel"),
            format!(
                "这个场景的渠道是{channel}，却没有自己的开场白，会用 [lines] 的开场白，其中第 {} 句「{}」是打电话的说法；在这个场景里加上 opening = [\"……\"];expected the scenario's own `opening` for this channel",
                i + 1,
                clip(line)
            ),
        );
    }
}
