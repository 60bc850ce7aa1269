//! The analyser: one compiled form of a rubric that turns a trainee's utterance into
//! signals. Scoring, the customer engine and the REPL all call [`Analyser::analyse`];
//! there is no second code path.
//!
//! What a hit is: for each signal kind, the leftmost-first, non-overlapping matches of
//! all its patterns together (rule order is priority order), as one regex of that kind
//! would report them; kinds are independent of each other, because hits of different
//! kinds may overlap ("对不起,我是跟您讲道理" is both an apology word and arguing). A
//! hit is dropped when a match of its rule's exceptions overlaps it.
//!
//! It runs on every agent line of every transcript in an assessment run, so it is built
//! for throughput. One unanchored search per kind costs a full scan of the line each,
//! and a single automaton for the whole rubric blows up (hundreds of patterns with
//! bounded gaps make millions of lazy-DFA states on varied text). Instead the literal
//! [`scan`](super::scan) finds where a match of each kind may begin, and the kind's
//! automaton runs anchored there: a small DFA that dies within a character or two where
//! nothing matches. Positions are tried left to right and a kind's positions inside its
//! previous hit are skipped, which is exactly leftmost-first, non-overlapping iteration.

use std::collections::BTreeMap;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use regex_automata::nfa::thompson::{self, backtrack::BoundedBacktracker, pikevm::PikeVM};
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input, hybrid};
use regex_syntax::hir::Hir;
use serde::Serialize;

use super::kinds::{BUILTIN_KINDS, KindInfo, polarity_of};
use super::scan::{ScanScratch, Scanner, ScannerBuilder};
use super::{Polarity, Rubric, Rule};
use crate::diag::{FieldPath, Problem};

/// The longest hit the analyser reports, in bytes (about 340 Chinese characters). An
/// automaton runs at most this far from where it starts, so that a pattern with `.*`
/// costs linear time on a megabyte paste, not quadratic.
pub const MAX_HIT_BYTES: usize = 1024;

/// One thing an utterance does, found by one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// Index into [`Analyser::kinds`].
    pub kind: usize,
    /// Index into the rubric's rules.
    pub rule: usize,
    /// Byte offsets into the utterance, on char boundaries.
    pub start: usize,
    pub end: usize,
}

/// Patterns searched together, anchored, leftmost-first: all patterns of one signal
/// kind, or the exceptions of one rule. The automata are built on first use: syntax is
/// checked when the rubric loads, but compiling some sixty groups of Chinese
/// alternations takes milliseconds, and most runs need few of them.
struct Group {
    /// The patterns' syntax trees, until the automata are built from them: kept, they
    /// would be a sixth of a practice session's memory.
    hirs: Mutex<Vec<Hir>>,
    /// For a kind: its index. For exceptions: the rule they belong to.
    owner: usize,
    /// Pattern id → rule index (a kind's group only).
    rule_of: Vec<usize>,
    /// Longest match in bytes, capped at [`MAX_HIT_BYTES`].
    max_len: usize,
    engine: OnceLock<Result<RegexEngines, String>>,
}

/// A group's automata, all from one NFA and all reporting the same leftmost-first
/// matches:
///
/// - the bounded backtracker, for the first [`DFA_AFTER`] bytes a process analyses: a
///   practice session's few kilobytes of lines are each new to a lazy DFA, which
///   would compute its states one by one and keep them (measured: about 1.5 MB more
///   at a session's peak);
/// - the lazy DFA, many times faster once its cache holds the states a corpus needs:
///   assessments and chat logs, and any text of [`LONG_TEXT`] bytes or more;
/// - the PikeVM, for what the others cannot do: a span too long for the
///   backtracker's memory bound, a Unicode word boundary next to non-ASCII text.
struct RegexEngines {
    /// Built on first use: a practice session never uses it.
    lazy: OnceLock<Option<hybrid::dfa::DFA>>,
    backtrack: BoundedBacktracker,
    pike: PikeVM,
}

/// Bytes a process analyses before the lazy DFAs take over.
const DFA_AFTER: usize = 64 * 1024;
/// A text this long goes to the lazy DFAs at once.
const LONG_TEXT: usize = 4096;

impl Group {
    fn new(hirs: Vec<Hir>, owner: usize, rule_of: Vec<usize>) -> Self {
        let max_len = hirs
            .iter()
            .map(|h| h.properties().maximum_len().unwrap_or(MAX_HIT_BYTES))
            .max()
            .unwrap_or(0)
            .min(MAX_HIT_BYTES);
        Self {
            hirs: Mutex::new(hirs),
            owner,
            rule_of,
            max_len,
            engine: OnceLock::new(),
        }
    }

    /// The automata, built from the syntax trees, which are then dropped: the scanner
    /// must have been built first (see [`Analyser::engine`]).
    fn engine(&self) -> &Result<RegexEngines, String> {
        self.engine.get_or_init(|| {
            let hirs = std::mem::take(&mut *self.hirs.lock().expect("not poisoned"));
            let nfa = crate::pattern::nfa(&hirs)?;
            let backtrack =
                BoundedBacktracker::new_from_nfa(nfa.clone()).map_err(|e| e.to_string())?;
            let pike = PikeVM::new_from_nfa(nfa).map_err(|e| e.to_string())?;
            Ok(RegexEngines {
                lazy: OnceLock::new(),
                backtrack,
                pike,
            })
        })
    }
}

impl RegexEngines {
    fn lazy(&self) -> Option<&hybrid::dfa::DFA> {
        self.lazy
            .get_or_init(|| {
                hybrid::dfa::DFA::builder()
                    .configure(crate::pattern::lazy_dfa_config())
                    .build_from_nfa(self.pike.get_nfa().clone())
                    .ok()
            })
            .as_ref()
    }
}

/// One thread's search state: automaton caches and buffers reused from line to line.
struct Scratch {
    lazy: Vec<Option<hybrid::dfa::Cache>>,
    backtrack: Vec<Option<thompson::backtrack::Cache>>,
    pike: Vec<Option<thompson::pikevm::Cache>>,
    scan: ScanScratch,
    candidates: Vec<(usize, u32)>,
    last_end: Vec<usize>,
}

/// The automaton caches of one [`Scratch`], borrowed apart from its buffers.
struct Caches<'a> {
    lazy: &'a mut [Option<hybrid::dfa::Cache>],
    backtrack: &'a mut [Option<thompson::backtrack::Cache>],
    pike: &'a mut [Option<thompson::pikevm::Cache>],
    /// Whether this text goes to the lazy DFAs.
    dfa: bool,
}

thread_local! {
    /// Buffers for reading lines, one set per thread (assessment reads on every core).
    static READ_SCRATCH: std::cell::RefCell<crate::reading::Scratch> = std::cell::RefCell::default();
}

type ScratchFn = Box<dyn Fn() -> Scratch + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// A compiled rubric.
pub struct Analyser {
    rubric: Rubric,
    /// Rule index by id, and the first rule of each kind: a signal from the reading is
    /// recorded under one of the rubric's rules.
    rule_ids: std::collections::HashMap<String, usize>,
    /// The rubric file's hash combined with its reader's: a transcript records both.
    hash: OnceLock<String>,
    first_rule_of_kind: Vec<Option<usize>>,
    /// The rule `forbidden.<id>` of each of the deck's 禁语, found once here rather
    /// than formatted and looked up for every line.
    forbidden_rule: std::collections::HashMap<&'static str, usize>,
    source: crate::files::FileText,
    /// A house rubric's example sentences (`[[examples]]`), matched by similarity.
    examples: super::examples::ExampleIndex,
    /// The deck's 禁语 whose rule the rubric disables: the reading still finds them,
    /// and they count for nothing.
    disabled_forbidden: std::collections::HashSet<&'static str>,
    kinds: Vec<KindInfo>,
    /// Kinds' groups (in kind order), then exceptions' groups.
    groups: Vec<Group>,
    kind_groups: usize,
    /// Per rule: the group of its exceptions, if it has any.
    except_group: Vec<Option<usize>>,
    /// Built on first use, like the automata: finding every pattern's literals takes
    /// as long as parsing the patterns, and listing personas or validating a file
    /// needs neither.
    scanner: OnceLock<Scanner>,
    scratch: Pool<Scratch, ScratchFn>,
    /// Bytes analysed so far, counted up to `dfa_after` (see [`RegexEngines`]).
    searched: AtomicUsize,
    dfa_after: usize,
}

impl std::fmt::Debug for Analyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyser")
            .field("rubric", &self.rubric.id)
            .field("rules", &self.rubric.rules.len())
            .finish()
    }
}

impl Analyser {
    /// Compile a validated rubric. Pattern errors come back as problems with the
    /// pattern's field path.
    /// `source` is the file text, kept for its hash.
    pub fn new(rubric: Rubric, source: crate::files::FileText) -> Result<Self, Vec<Problem>> {
        let mut kinds: Vec<KindInfo> = BUILTIN_KINDS
            .iter()
            .map(|(id, label, polarity)| KindInfo {
                id: id.to_string(),
                label: label.to_string(),
                polarity: *polarity,
            })
            .collect();
        for (id, def) in &rubric.kinds {
            match kinds.iter_mut().find(|k| &k.id == id) {
                Some(k) => {
                    k.label = def.label.clone();
                    k.polarity = def.polarity;
                }
                None => kinds.push(KindInfo {
                    id: id.clone(),
                    label: def.label.clone(),
                    polarity: def.polarity,
                }),
            }
        }
        // Parsing some four hundred patterns, most with large alternations spliced in
        // from `defines`, is most of the time a rubric takes to load; a second thread
        // parses the second half of the rules. A scoped thread, gone once done: a
        // pool's idle threads would keep their stacks and allocator arenas for the
        // whole of a practice session.
        let parse = |rules: &[Rule]| -> Vec<Vec<Result<Hir, String>>> {
            rules
                .iter()
                .map(|rule| {
                    (rule.patterns.iter())
                        .chain(&rule.except)
                        .map(|p| check_pattern(p, &rubric.defines))
                        .collect()
                })
                .collect()
        };
        let (first, second) = rubric.rules.split_at(rubric.rules.len() / 2);
        let parsed: Vec<Vec<Result<Hir, String>>> = std::thread::scope(|scope| {
            let second = scope.spawn(|| parse(second));
            let mut all = parse(first);
            all.extend(second.join().expect("parsing does not panic"));
            all
        });
        let mut problems = Vec::new();
        // Kind → its patterns' syntax trees and rules, in rule order.
        let mut by_kind: BTreeMap<usize, (Vec<Hir>, Vec<usize>)> = BTreeMap::new();
        let mut excepts: Vec<(usize, Vec<Hir>)> = Vec::new();
        for (i, (rule, parsed)) in rubric.rules.iter().zip(parsed).enumerate() {
            let path = FieldPath::root().key("rules").index(i);
            let kind = kinds.iter().position(|k| k.id == rule.kind);
            let mut hirs = Vec::new();
            for (j, result) in parsed.into_iter().enumerate() {
                let (field, j, is_pattern) = match j.checked_sub(rule.patterns.len()) {
                    None => ("patterns", j, true),
                    Some(j) => ("except", j, false),
                };
                match result {
                    Ok(hir) if is_pattern => {
                        if let Some(kind) = kind {
                            let e = by_kind.entry(kind).or_default();
                            e.0.push(hir);
                            e.1.push(i);
                        }
                    }
                    Ok(hir) => hirs.push(hir),
                    Err(msg) => problems.push(Problem::new(path.key(field).index(j), msg)),
                }
            }
            if !hirs.is_empty() {
                excepts.push((i, hirs));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut groups: Vec<Group> = by_kind
            .into_iter()
            .map(|(kind, (hirs, rule_of))| Group::new(hirs, kind, rule_of))
            .collect();
        let kind_groups = groups.len();
        let mut except_group = vec![None; rubric.rules.len()];
        for (rule, hirs) in excepts {
            except_group[rule] = Some(groups.len());
            groups.push(Group::new(hirs, rule, Vec::new()));
        }
        let n = groups.len();
        let scratch: ScratchFn = Box::new(move || Scratch {
            lazy: (0..n).map(|_| None).collect(),
            backtrack: (0..n).map(|_| None).collect(),
            pike: (0..n).map(|_| None).collect(),
            scan: ScanScratch::default(),
            candidates: Vec::new(),
            last_end: vec![0; n],
        });
        let rule_ids = rubric
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let first_rule_of_kind = kinds
            .iter()
            .map(|k| rubric.rules.iter().position(|r| r.kind == k.id))
            .collect();
        let forbidden_rule = crate::reading::FORBIDDEN
            .iter()
            .filter_map(|(id, _)| {
                let rule = rubric
                    .rules
                    .iter()
                    .position(|r| r.id == format!("forbidden.{id}"))?;
                Some((*id, rule))
            })
            .collect();
        let disabled_forbidden = crate::reading::FORBIDDEN
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| {
                rubric
                    .disable
                    .iter()
                    .any(|d| *d == format!("forbidden.{id}"))
            })
            .collect();
        Ok(Self {
            examples: super::examples::ExampleIndex::new(&rubric.rules),
            disabled_forbidden,
            hash: OnceLock::new(),
            rule_ids,
            first_rule_of_kind,
            forbidden_rule,
            rubric,
            source,
            kinds,
            groups,
            kind_groups,
            except_group,
            scanner: OnceLock::new(),
            scratch: Pool::new(scratch),
            searched: AtomicUsize::new(0),
            dfa_after: DFA_AFTER,
        })
    }

    /// Every signal in `text`, ordered by start offset, then kind: the acts of the
    /// line's [`Reading`](crate::reading::Reading), each recorded under its kind and a
    /// rule of that kind (for its id and better phrasing), with the rubric's exact
    /// rules where the reading agrees (see [`signals_into`](Self::signals_into)).
    pub fn analyse(&self, text: &str) -> Vec<Signal> {
        let mut out = Vec::new();
        self.analyse_into(text, &mut out);
        out
    }

    /// Like [`analyse`](Self::analyse), reusing `out`'s allocation (the bulk path).
    pub fn analyse_into(&self, text: &str, out: &mut Vec<Signal>) {
        let reading = READ_SCRATCH.with(|s| self.reader().read_with(text, &mut s.borrow_mut()));
        self.signals_into(text, &reading, out);
    }

    /// The reading of `text` and its signals.
    pub fn read(&self, text: &str) -> (crate::reading::Reading, Vec<Signal>) {
        let reading = READ_SCRATCH.with(|s| self.reader().read_with(text, &mut s.borrow_mut()));
        let mut out = Vec::new();
        self.signals_into(text, &reading, &mut out);
        (reading, out)
    }

    /// The reader this rubric's acts come from.
    pub fn reader(&self) -> &crate::reading::Reader {
        crate::reading::default_reader()
    }

    /// Signals of a reading (see [`analyse`](Self::analyse)).
    ///
    /// Two layers meet here. The reading's acts come first, each recorded under its
    /// kind and a rule of that kind. The rubric's own rules then add what they match
    /// exactly (the deck's literal 禁语, a trainer's house phrases and new kinds), but
    /// only where the reading of the clause agrees the words do what the rule says:
    /// a bad rule in reported speech is the customer's story, not the trainee's words;
    /// an action rule (a remedy, a deadline) in a clause that is negated, asked,
    /// reported, hypothetical or past, or that the reading found a refusal in, offers
    /// nothing; nor does an offer or deadline in what should have been done and was not
    /// (「本该……」), whichever layer found it.
    pub fn signals_into(
        &self,
        text: &str,
        reading: &crate::reading::Reading,
        out: &mut Vec<Signal>,
    ) {
        out.clear();
        for a in &reading.acts {
            let kind_id = super::kinds::kind_of_act(a.act);
            let Some(kind) = self.kind_index(kind_id) else {
                continue;
            };
            if a.forbidden
                .is_some_and(|f| self.disabled_forbidden.contains(f))
            {
                continue;
            }
            let rule = a
                .forbidden
                .and_then(|f| self.forbidden_rule.get(f).copied())
                .or_else(|| self.first_rule_of_kind[kind]);
            let Some(rule) = rule else { continue };
            if !out
                .iter()
                .any(|s: &Signal| s.kind == kind && s.start == a.start)
            {
                out.push(Signal {
                    kind,
                    rule,
                    start: a.start,
                    end: a.end,
                });
            }
        }
        // A trainer's example sentences name their rule as exactly as a pattern does,
        // and come first: what the house taught names the place before the default's
        // pattern of the same kind does.
        let taught = self.example_hits(text, reading);
        let mut exact: Vec<Signal> = (taught.iter())
            .map(|h| Signal {
                kind: self
                    .kind_index(&self.rubric.rules[h.rule].kind)
                    .unwrap_or(0),
                rule: h.rule,
                start: h.start,
                end: h.end,
            })
            .collect();
        let mut by_rule = Vec::new();
        self.match_rules_into(text, &mut by_rule);
        exact.append(&mut by_rule);
        // Signals from the reading that a rule hit has already made exact.
        let from_reading = out.len();
        let mut exact_already = vec![false; from_reading];
        let mut superseded = vec![false; from_reading];
        for s in exact {
            if !self.rule_agrees(text, reading, &s) {
                continue;
            }
            // One signal per kind and place. A rule hit inside an act of its kind
            // names the exact words and the rule's better phrasing: the scorecard
            // quotes those rather than the whole clause.
            let overlaps = |o: &Signal| o.kind == s.kind && o.start < s.end && s.start < o.end;
            match out.iter().position(overlaps) {
                Some(i) if i < from_reading && !exact_already[i] => {
                    // Other clauses of the reading the same hit spans are the same act
                    // (「公司的规 定就是这样的」 read as two clauses).
                    for j in i + 1..from_reading {
                        if overlaps(&out[j]) {
                            superseded[j] = true;
                        }
                    }
                    exact_already[i] = true;
                    out[i] = s;
                }
                Some(_) => {}
                None => out.push(s),
            }
        }
        // A clause the house taught almost word for word means what the house says it
        // means: the model's other readings of it go («我把账单一行一行给您讲» taught
        // as 解释 is no offer the customer could take up).
        for (i, o) in out.iter().enumerate().take(from_reading) {
            if !exact_already[i]
                && taught.iter().any(|h| {
                    h.similarity >= super::examples::DECISIVE
                        && h.start <= o.start
                        && o.end <= h.end
                        && self.rubric.rules[h.rule].kind != self.kinds[o.kind].id
                })
            {
                superseded[i] = true;
            }
        }
        let mut k = 0;
        out.retain(|_| {
            k += 1;
            !superseded.get(k - 1).copied().unwrap_or(false)
        });
        self.drop_contradicted(reading, out);
        out.sort_by_key(|s| (s.start, s.kind));
    }

    /// Recognition and empathy that the line takes back count for nothing: in the very
    /// clause of an argument or a 禁语 (「您这个判断不对」), or just before a 「可/但是」
    /// clause that puts the customer down (「您说做了二十年IT，可这么明显的问题都没看出来」).
    fn drop_contradicted(&self, reading: &crate::reading::Reading, out: &mut Vec<Signal>) {
        use crate::reading::Cues;
        let n = reading.clauses.len();
        let at: Vec<Option<usize>> = out.iter().map(|o| reading.clause_at(o.start)).collect();
        // Per clause: an argument or 禁语 in it; a put-down of the customer in it (after
        // 「可/但是」 that takes the praise before it back; a rule quoted there, as in
        // 「理解您的难处，但是规定就是规定」, is a mistake of its own).
        let (mut bad, mut put_down) = (vec![false; n], vec![false; n]);
        for (o, c) in out.iter().zip(&at) {
            let Some(c) = *c else { continue };
            if self.kinds[o.kind].polarity == Polarity::Bad {
                bad[c] = true;
            }
            let rule = self.rubric.rules[o.rule].id.as_str();
            if ["blame", "impolite"].contains(&self.kinds[o.kind].id.as_str())
                || rule == "forbidden.child-could"
                || rule == "forbidden.cant-read"
            {
                put_down[c] = true;
            }
        }
        let doomed: Vec<bool> = out
            .iter()
            .zip(&at)
            .map(|(s, c)| {
                let id = self.kinds[s.kind].id.as_str();
                let Some(ci) = c.filter(|_| id == "affirm" || id == "empathy") else {
                    return false;
                };
                let but_next = reading
                    .clauses
                    .get(ci + 1)
                    .is_some_and(|c| c.cues.has(Cues::CONTRAST));
                bad[ci] || (but_next && put_down[ci + 1])
            })
            .collect();
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            !doomed[i - 1]
        });
    }

    /// Whether a rule's match stands in a clause whose reading lets it count.
    fn rule_agrees(&self, text: &str, reading: &crate::reading::Reading, s: &Signal) -> bool {
        use crate::reading::{Act, Cues};
        let Some(i) = reading
            .clause_at(s.start)
            .filter(|&i| s.start < reading.clauses[i].end)
        else {
            return true;
        };
        let cues = reading.clauses[i].cues;
        let kind = &self.kinds[s.kind];
        if kind.polarity == Polarity::Bad {
            // Telling back where the customer went (「您去4S店反映，对方没给登记，是吧？」)
            // sends them nowhere, and what they were told there (「4S店说是正常现象，
            // 是这样吗？」) makes light of nothing: both are the customer's story.
            let told_back =
                matches!(kind.id.as_str(), "deflect" | "dismiss") && reading.restated(text, i);
            return !cues.has(Cues::REPORTED) && !told_back;
        }
        if !["remedy", "time_commitment", "follow_up", "escalate"].contains(&kind.id.as_str()) {
            return true;
        }
        let refused = reading
            .acts
            .iter()
            .any(|a| a.clause == i && matches!(a.act, Act::Refuse));
        // A past escalation or follow-up is done, and counts (「此事已上报店长」); a past
        // time or remedy is told, not promised.
        let mut scoped = Cues::NEGATED
            | Cues::QUESTION
            | Cues::REPORTED
            | Cues::HYPOTHETICAL
            | Cues::COUNTERFACTUAL;
        if ["remedy", "time_commitment"].contains(&kind.id.as_str()) {
            scoped |= Cues::PAST;
        }
        // 「按三包规定，……，您可以选择免费更换」 tells the rule; 「按规定给您换」 acts on it.
        let told = (reading.states_rule(text, i) && !reading.agent_acts(text, i))
            || reading.restated(text, i);
        !refused && !told && cues.0 & scoped == 0
    }

    /// Every match of the rubric's own rules (see [`match_rules_into`](Self::match_rules_into)).
    pub fn match_rules(&self, text: &str) -> Vec<Signal> {
        let mut out = Vec::new();
        self.match_rules_into(text, &mut out);
        out
    }

    /// Every match of the rubric's own rules (regular expressions) in `text`, ordered
    /// by start offset, then kind. The exact-wording layer under the reading.
    pub fn match_rules_into(&self, text: &str, out: &mut Vec<Signal>) {
        // Zero-width characters and traditional characters must not hide a 禁语 from
        // the rules (「公司的规\u{200B}定」, 「公司的規定」): match the text without them,
        // then put the spans back on the text as typed.
        let [folded, squeezed] = crate::reading::normalise::pattern_texts(text);
        match folded {
            Some((clean, at)) => {
                self.match_clean(&clean, out);
                back_on_typed(text, &at, out);
            }
            None => self.match_clean(text, out),
        }
        // Nor may spaces inside a phrase (「公司的规 定就是这样的」). Spaces are also
        // chat-style commas that patterns rely on, so the squeezed text adds its hits
        // to those above.
        if let Some((clean, at)) = squeezed {
            let mut extra = Vec::new();
            self.match_clean(&clean, &mut extra);
            back_on_typed(text, &at, &mut extra);
            for s in extra {
                let same = |o: &Signal| o.rule == s.rule && o.start < s.end && s.start < o.end;
                if !out.iter().any(same) {
                    out.push(s);
                }
            }
            out.sort_by_key(|s| (s.start, s.kind));
        }
    }

    fn match_clean(&self, text: &str, out: &mut Vec<Signal>) {
        out.clear();
        let mut guard = self.scratch.get();
        let Scratch {
            lazy,
            backtrack,
            pike,
            scan,
            candidates,
            last_end,
        } = &mut *guard;
        let dfa = text.len() >= LONG_TEXT
            || self.searched.load(Ordering::Relaxed) >= self.dfa_after
            || self.searched.fetch_add(text.len(), Ordering::Relaxed) >= self.dfa_after;
        let mut caches = Caches {
            lazy,
            backtrack,
            pike,
            dfa,
        };
        self.scanner().candidates(text, scan, candidates);
        last_end.iter_mut().for_each(|e| *e = 0);
        let mut any_except = false;
        // Candidates come sorted by start, then group; kinds' groups are in kind order,
        // so hits come out ordered by start, then kind.
        for &(at, g) in candidates.iter() {
            let g = g as usize;
            if g >= self.kind_groups || at < last_end[g] {
                continue;
            }
            let group = &self.groups[g];
            if let Some((pattern, end)) = self.anchored(g, text, at, &mut caches) {
                last_end[g] = end;
                let rule = group.rule_of[pattern];
                any_except |= self.except_group[rule].is_some();
                out.push(Signal {
                    kind: group.owner,
                    rule,
                    start: at,
                    end,
                });
            }
        }
        if any_except {
            out.retain(|s| !self.excepted(s, text, candidates, &mut caches));
        }
    }

    fn scanner(&self) -> &Scanner {
        self.scanner.get_or_init(|| {
            let mut scanner = ScannerBuilder::default();
            let mut pattern = 0;
            for (g, group) in self.groups.iter().enumerate() {
                for h in group.hirs.lock().expect("not poisoned").iter() {
                    scanner.add(g as u32, pattern, h);
                    pattern += 1;
                }
            }
            scanner.build()
        })
    }

    /// Group `g`'s automata. The scanner is built first, because building a group's
    /// automata drops the syntax trees the scanner is built from.
    fn engine(&self, g: usize) -> &Result<RegexEngines, String> {
        self.scanner();
        self.groups[g].engine()
    }

    /// Whether a match of the hit's rule's exceptions overlaps it.
    fn excepted(
        &self,
        hit: &Signal,
        text: &str,
        candidates: &[(usize, u32)],
        caches: &mut Caches<'_>,
    ) -> bool {
        let Some(g) = self.except_group[hit.rule] else {
            return false;
        };
        let from = hit.start.saturating_sub(self.groups[g].max_len);
        let first = candidates.partition_point(|&(at, _)| at < from);
        candidates[first..]
            .iter()
            .take_while(|&&(at, _)| at < hit.end)
            .filter(|&&(_, cg)| cg as usize == g)
            .any(|&(at, _)| {
                self.anchored(g, text, at, caches)
                    .is_some_and(|(_, end)| end > hit.start)
            })
    }

    /// The leftmost-first match of group `g` starting exactly at `at`: its pattern id
    /// within the group and its end.
    fn anchored(
        &self,
        g: usize,
        text: &str,
        at: usize,
        caches: &mut Caches<'_>,
    ) -> Option<(usize, usize)> {
        // A group that cannot be built matches nothing; `compile_all` reports it.
        let Ok(engine) = self.engine(g) else {
            return None;
        };
        let input = Input::new(text)
            .range(at..text.len().min(at + MAX_HIT_BYTES))
            .anchored(Anchored::Yes);
        if caches.dfa
            && let Some(dfa) = engine.lazy()
        {
            let cache = caches.lazy[g].get_or_insert_with(|| dfa.create_cache());
            // An error is a byte the DFA gave up on; the PikeVM takes over.
            if let Ok(m) = dfa.try_search_fwd(cache, &input) {
                return m.map(|m| (m.pattern().as_usize(), m.offset()));
            }
        } else if input.get_span().len() <= engine.backtrack.max_haystack_len() {
            let cache = caches.backtrack[g].get_or_insert_with(|| engine.backtrack.create_cache());
            if let Ok(m) = engine.backtrack.try_find(cache, input.clone()) {
                return m.map(|m| (m.pattern().as_usize(), m.end()));
            }
        }
        let cache = caches.pike[g].get_or_insert_with(|| engine.pike.create_cache());
        engine
            .pike
            .find(cache, input)
            .map(|m| (m.pattern().as_usize(), m.end()))
    }

    /// Build now every automaton a session searches with. Reports any kind that cannot
    /// be built (a rubric too large for the regex engine's limits), on the patterns
    /// too large by themselves where there are some. Validation calls this, and
    /// `peilian practice` on a thread of its own while the trainee reads the brief, so
    /// that no turn waits for a build; otherwise each is built on first use.
    pub fn compile_all(&self) -> Result<(), Vec<Problem>> {
        self.scanner();
        let mut problems: Vec<Problem> = (0..self.groups.len())
            .filter_map(|i| self.engine(i).as_ref().err().map(|e| (i, e)))
            .flat_map(|(i, e)| self.group_problems(i, e))
            .collect();
        // Each kind's automaton fits its own limit, but every search keeps caches in
        // proportion to all of them together (22 kinds of 「\p{L}{300}」 passed one by
        // one and then took 1.4 GB on the first line): the whole rubric has a budget.
        let total: usize = (0..self.groups.len())
            .filter_map(|i| self.engine(i).as_ref().ok())
            .map(|e| e.pike.get_nfa().memory_usage())
            .sum();
        if total > crate::pattern::RUBRIC_AUTOMATA_LIMIT {
            problems.push(Problem::new(
                FieldPath::root().key("rules"),
                format!(
                    "全部规则的自动机合计约 {} MB，超过 {} MB 的上限（模式太多或太宽，例如很长的 \\p{{L}}{{n}}）；expected the rubric's patterns to compile to at most {} bytes",
                    total >> 20,
                    crate::pattern::RUBRIC_AUTOMATA_LIMIT >> 20,
                    crate::pattern::RUBRIC_AUTOMATA_LIMIT
                ),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Why group `g` could not be built: each of its patterns that fails alone, on its
    /// field; else the group as a whole (its patterns fit one by one, not together).
    fn group_problems(&self, g: usize, error: &str) -> Vec<Problem> {
        let owner = self.groups[g].owner;
        let rules = &self.rubric.rules;
        let (what, field, members): (String, &str, Vec<usize>) = if g < self.kind_groups {
            let kind = &self.kinds[owner].id;
            let members = (0..rules.len()).filter(|&r| &rules[r].kind == kind);
            (format!("类型 {kind} 的规则"), "patterns", members.collect())
        } else {
            let rule = &rules[owner];
            (format!("规则 {} 的例外", rule.id), "except", vec![owner])
        };
        let mut out = Vec::new();
        for r in members {
            let pats = if field == "patterns" {
                &rules[r].patterns
            } else {
                &rules[r].except
            };
            for (j, pat) in pats.iter().enumerate() {
                let alone = check_pattern(pat, &self.rubric.defines)
                    .and_then(|h| crate::pattern::nfa(&[h]).map(drop));
                if let Err(e) = alone {
                    let at = FieldPath::root().key("rules").index(r).key(field).index(j);
                    out.push(Problem::new(at, e));
                }
            }
        }
        if out.is_empty() {
            out.push(Problem::new(
                FieldPath::root().key("rules"),
                format!("{what}合起来无法编译（模式太多或太大）：{error}"),
            ));
        }
        out
    }

    pub fn rubric(&self) -> &Rubric {
        &self.rubric
    }

    /// The rubric's text (for an extending rubric, its bases' and its own), as hashed.
    pub fn source_text(&self) -> &str {
        self.source.text()
    }

    /// The stretches of `text` that read as one of the rubric's example sentences.
    pub fn example_hits(
        &self,
        text: &str,
        reading: &crate::reading::Reading,
    ) -> Vec<super::examples::ExampleHit> {
        self.examples.hits(text, reading)
    }

    /// Hash of the rubric file's text, recorded with every transcript and scorecard.
    pub fn hash(&self) -> &str {
        self.hash.get_or_init(|| {
            crate::files::content_hash(&format!("{}+{}", self.source.hash(), self.reader().hash()))
        })
    }

    pub fn kinds(&self) -> &[KindInfo] {
        &self.kinds
    }

    pub fn kind(&self, signal: &Signal) -> &KindInfo {
        &self.kinds[signal.kind]
    }

    pub fn rule(&self, signal: &Signal) -> &Rule {
        &self.rubric.rules[signal.rule]
    }

    /// Index of a rule by id.
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rule_ids.get(id).copied()
    }

    /// Index of a kind by id.
    /// The rule a signal of kind `kind` (an index) is recorded under when no rule of its
    /// own matched: the kind's first rule.
    pub fn rule_for_kind(&self, kind: usize) -> Option<usize> {
        self.first_rule_of_kind.get(kind).copied().flatten()
    }

    pub fn kind_index(&self, id: &str) -> Option<usize> {
        self.kinds.iter().position(|k| k.id == id)
    }

    /// Whether a kind id is known to this rubric.
    pub fn knows_kind(&self, id: &str) -> bool {
        self.kind_index(id).is_some()
    }

    pub fn polarity(&self, id: &str) -> Option<Polarity> {
        polarity_of(&self.rubric, id)
    }
}

/// Spans found in a cleaned text (`at`: the typed offset of each of its bytes, and of
/// its end) put back on the text as typed. A hit ends where its last character as typed
/// ends, not where the next begins: a dropped space may lie between.
fn back_on_typed(text: &str, at: &[usize], hits: &mut [Signal]) {
    for s in hits {
        s.start = at[s.start];
        let last = at[s.end.max(1) - 1];
        s.end = last + text[last..].chars().next().map_or(0, char::len_utf8);
    }
}

/// Check a pattern's length as written, expand `{name}` references to the rubric's
/// defines, and check the result compiles and cannot match the empty string (such a
/// pattern would hit every utterance).
fn check_pattern(pat: &str, defines: &BTreeMap<String, String>) -> Result<Hir, String> {
    crate::pattern::check_length(pat)?;
    let expanded = expand_defines(pat, defines)?;
    crate::pattern::needs_text(crate::pattern::parse_syntax(&expanded)?)
}

/// Replace `{name}` (lowercase letters and `_`) with `(?:define)`; a regex repetition
/// such as `{2}` or `{1,3}` and an escaped `\{` are left alone.
pub(crate) fn expand_defines(
    pat: &str,
    defines: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(pat.len());
    let mut rest = pat;
    while let Some(open) = rest.find('{') {
        let escaped = rest[..open].ends_with('\\');
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if !escaped && name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            let piece = defines.get(name).ok_or_else(|| {
                format!("引用了未定义的片段 {{{name}}};add `{name} = '…'` under [defines]")
            })?;
            out.push_str("(?:");
            out.push_str(piece);
            out.push(')');
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyser(toml_text: &str) -> Analyser {
        let r: Rubric = toml::from_str(toml_text).unwrap();
        Analyser::new(r, crate::files::FileText::new("")).unwrap()
    }

    #[test]
    fn defines_expand_but_repetitions_stay() {
        let mut d = BTreeMap::new();
        d.insert("num".to_string(), r"\d+".to_string());
        assert_eq!(expand_defines("{num}天", &d).unwrap(), r"(?:\d+)天");
        assert_eq!(expand_defines("a{2}b{1,3}", &d).unwrap(), "a{2}b{1,3}");
        assert_eq!(expand_defines(r"\{num}", &d).unwrap(), r"\{num}");
        assert!(expand_defines("{nope}", &d).is_err());
    }

    /// The kinds of the signals the analyser finds in `t`, in order.
    fn kinds_of(a: &Analyser, t: &str) -> Vec<String> {
        a.analyse(t).iter().map(|s| a.kind(s).id.clone()).collect()
    }

    /// What the customer was told elsewhere, told back to check it (「4S店说是正常现象，
    /// 是这样吗？」), makes light of nothing: the customer's story is no 轻描淡写.
    #[test]
    fn a_dismissal_told_back_is_the_customers_story() {
        let kinds = |t: &str| kinds_of(crate::rubric::default_rubric(), t);
        // 我确认一下，入冬以后机油液面一直往上涨，4S店说是正常现象，还不给登记，是这样吗？
        let told = "\u{6211}\u{786E}\u{8BA4}\u{4E00}\u{4E0B}\u{FF0C}\u{5165}\u{51AC}\u{4EE5}\u{540E}\u{673A}\u{6CB9}\u{6DB2}\u{9762}\u{4E00}\u{76F4}\u{5F80}\u{4E0A}\u{6DA8}\u{FF0C}4S\u{5E97}\u{8BF4}\u{662F}\u{6B63}\u{5E38}\u{73B0}\u{8C61}\u{FF0C}\u{8FD8}\u{4E0D}\u{7ED9}\u{767B}\u{8BB0}\u{FF0C}\u{662F}\u{8FD9}\u{6837}\u{5417}\u{FF1F}";
        assert!(
            !kinds(told).iter().any(|k| k == "dismiss"),
            "{:?}",
            kinds(told)
        );
        // 这个声音属于正常现象。
        let said = "\u{8FD9}\u{4E2A}\u{58F0}\u{97F3}\u{5C5E}\u{4E8E}\u{6B63}\u{5E38}\u{73B0}\u{8C61}\u{3002}";
        assert!(
            kinds(said).iter().any(|k| k == "dismiss"),
            "{:?}",
            kinds(said)
        );
    }

    /// What should have been done and was not offers nothing, whichever layer (model or
    /// rule) found the remedy words: the coach line, the ledger and the customer agree.
    #[test]
    fn what_should_have_been_done_offers_nothing() {
        let kinds = |t: &str| kinds_of(crate::rubric::default_rubric(), t);
        let owed = "\u{524D}\u{53F0}\u{672C}\u{8BE5}\u{4E00}\u{5230}\u{5C31}\u{6838}\u{9A8C}\u{8EAB}\u{4EFD}\u{7ED9}\u{60A8}\u{8C03}\u{4F18}\u{5148}\u{5DE5}\u{4F4D}\u{FF0C}\u{8FD9}\u{4E00}\u{6B65}\u{6211}\u{4EEC}\u{6CA1}\u{505A}\u{5230}\u{3002}";
        assert!(
            !kinds(owed).iter().any(|k| k == "remedy"),
            "{:?}",
            kinds(owed)
        );
        let now = "\u{6211}\u{9A6C}\u{4E0A}\u{7ED9}\u{60A8}\u{8C03}\u{4F18}\u{5148}\u{5DE5}\u{4F4D}\u{3002}";
        assert!(kinds(now).iter().any(|k| k == "remedy"), "{:?}", kinds(now));
    }

    #[test]
    fn exceptions_cancel_overlapping_hits_only() {
        let a = analyser(
            r#"
id = "t"
name = "t"
version = 1
[[rules]]
id = "forbidden.policy"
kind = "forbidden"
patterns = ["公司的?规定"]
except = ["按照公司的?规定[,,]?您可以"]
better = "x"
"#,
        );
        assert!(a.match_rules("按照公司规定,您可以免费换新").is_empty());
        let s = a.match_rules("按照公司规定,您可以换。但公司规定就这样");
        assert_eq!(s.len(), 1);
        assert_eq!(
            &"按照公司规定,您可以换。但公司规定就这样"[s[0].start..s[0].end],
            "公司规定"
        );
    }

    #[test]
    fn kinds_overlap_independently() {
        let a = analyser(
            r#"
id = "t"
name = "t"
version = 1
[[rules]]
id = "apology.sorry"
kind = "apology"
patterns = ["道歉"]
except = ["不是跟您道歉"]
[[rules]]
id = "argue.reason"
kind = "argue"
patterns = ["不是跟您道歉.{0,8}讲道理"]
better = "x"
"#,
        );
        let s = a.match_rules("我不是跟您道歉,我是跟您讲道理");
        assert_eq!(s.len(), 1);
        assert_eq!(a.kind(&s[0]).id, "argue");
    }

    /// What [`Analyser::analyse`] must find, computed the plain way: every kind's
    /// patterns as one unanchored regex iterated over the whole text, and every
    /// possible start of an exception tried.
    fn reference(a: &Analyser, text: &str) -> Vec<Signal> {
        use regex_automata::meta::Regex;
        static BUILT: OnceLock<Vec<Regex>> = OnceLock::new();
        let regexes = BUILT.get_or_init(|| {
            let rules = &a.rubric.rules;
            let expand = |p: &String| expand_defines(p, &a.rubric.defines).unwrap();
            a.groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let patterns: Vec<String> = if i < a.kind_groups {
                        let kind = &a.kinds[g.owner].id;
                        (rules.iter().filter(|r| &r.kind == kind))
                            .flat_map(|r| r.patterns.iter().map(expand))
                            .collect()
                    } else {
                        rules[g.owner].except.iter().map(expand).collect()
                    };
                    Regex::new_many(&patterns).unwrap()
                })
                .collect()
        });
        let mut out = Vec::new();
        for (gi, g) in a.groups[..a.kind_groups].iter().enumerate() {
            for m in regexes[gi].find_iter(text) {
                let rule = g.rule_of[m.pattern().as_usize()];
                let excepted = a.except_group[rule].is_some_and(|e| {
                    (m.start().saturating_sub(a.groups[e].max_len)..m.end())
                        .filter(|&t| text.is_char_boundary(t))
                        .any(|t| {
                            let input = Input::new(text)
                                .range(t..text.len().min(t + MAX_HIT_BYTES))
                                .anchored(Anchored::Yes);
                            regexes[e].find(input).is_some_and(|x| x.end() > m.start())
                        })
                });
                if !excepted {
                    out.push(Signal {
                        kind: g.owner,
                        rule,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        out.sort_unstable_by_key(|s| (s.start, s.kind, s.end));
        out
    }

    fn table_texts() -> Vec<String> {
        let table: toml::Table =
            toml::from_str(include_str!("../../tests/data/utterances.toml")).unwrap();
        table["case"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap().to_string())
            .collect()
    }

    /// The literal scan alone, on the text as given.
    fn scan(a: &Analyser, text: &str) -> Vec<Signal> {
        let mut out = Vec::new();
        a.match_clean(text, &mut out);
        out
    }

    /// The literal scan never hides a hit: on the utterance table's lines, alone and
    /// run together into one long text, the analyser finds what a plain search finds.
    #[test]
    fn anchored_search_finds_what_a_plain_search_finds() {
        let mut texts = table_texts();
        texts.push(texts.join(""));
        for a in both_engines() {
            for t in &texts {
                assert_eq!(scan(a, t), reference(a, t), "{t}");
            }
        }
    }

    /// The default rubric twice: searching with the NFA engines only, and with the
    /// lazy DFAs from the first byte.
    fn both_engines() -> &'static [Analyser; 2] {
        static BOTH: OnceLock<[Analyser; 2]> = OnceLock::new();
        BOTH.get_or_init(|| {
            let load = |dfa_after| {
                let mut a =
                    crate::rubric::load_rubric_text("default.toml", crate::rubric::DEFAULT_RUBRIC)
                        .unwrap();
                a.dfa_after = dfa_after;
                a
            };
            [load(usize::MAX), load(0)]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// The same on new text: pieces of the table's lines cut at any character and
        /// joined in any order, with stray characters between them, so that literals
        /// meet across the joins and hits overlap in ways no table line has.
        #[test]
        fn anchored_search_matches_the_plain_search_on_recombined_text(
            picks in proptest::collection::vec(
                (0usize..10_000, 0usize..40, 0usize..40, "[,。 的了吗您你我不]{0,2}"),
                1..6,
            )
        ) {
            static TEXTS: OnceLock<Vec<Vec<char>>> = OnceLock::new();
            let texts = TEXTS.get_or_init(|| table_texts().iter().map(|t| t.chars().collect()).collect());
            let mut text = String::new();
            for (i, from, len, glue) in picks {
                let t = &texts[i % texts.len()];
                let from = from.min(t.len());
                text.extend(&t[from..(from + len).min(t.len())]);
                text.push_str(&glue);
            }
            for a in both_engines() {
                proptest::prop_assert_eq!(scan(a, &text), reference(a, &text), "{}", text);
            }
        }
    }

    /// The default rubric's automata are far inside the budget a trainer's rubric has.
    #[test]
    fn the_default_rubric_is_well_inside_the_automata_budget() {
        let a =
            crate::rubric::load_rubric_text("default.toml", crate::rubric::DEFAULT_RUBRIC).unwrap();
        a.compile_all().unwrap();
        let total: usize = (0..a.groups.len())
            .map(|i| a.engine(i).as_ref().unwrap().pike.get_nfa().memory_usage())
            .sum();
        eprintln!("default rubric automata: {total} bytes");
        assert!(total * 4 < crate::pattern::RUBRIC_AUTOMATA_LIMIT, "{total}");
    }

    #[test]
    fn empty_matching_patterns_are_rejected() {
        let r: Rubric = toml::from_str(
            "id='t'\nname='t'\nversion=1\n[[rules]]\nid='a'\nkind='thanks'\npatterns=['(谢谢)?']\n",
        )
        .unwrap();
        let e = Analyser::new(r, crate::files::FileText::new("")).unwrap_err();
        assert_eq!(e[0].field.to_string(), "rules[0].patterns[0]");
    }
}
