//! Handling phrased differently from the personas' own self-checks, as different
//! trainees would type it: `tests/data/scripts/<persona>/*.txt`, each a `run` answers
//! file whose header comments say what must happen:
//!
//! ```text
//! # persona: emotional
//! # scenario: floppy-drive
//! # difficulty: normal
//! # expect: resolved        (or not_resolved, walked_out)
//! ```

use crate::common;

use std::path::Path;

struct Script {
    persona: String,
    scenario: String,
    difficulty: String,
    expect: String,
}

fn header(path: &Path) -> Script {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}:")))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("{}: no `# {name}:` line", path.display()))
    };
    Script {
        persona: field("persona"),
        scenario: field("scenario"),
        difficulty: field("difficulty"),
        expect: field("expect"),
    }
}

/// What one script did.
struct Played {
    path: std::path::PathBuf,
    script: Script,
    ok: bool,
    /// The lowest anger of the session.
    min_anger: i64,
    /// The anger after the last turn.
    last_anger: i64,
    /// The outcome and the turns, for a failure message.
    trace: String,
}

/// Play every `<dir>/<persona>/*.txt` script with the real binary.
fn play_all(root: &Path) -> Vec<Played> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "txt"))
        {
            let s = header(f);
            let run = common::peilian()
                .args([
                    "run",
                    "--json",
                    "--persona",
                    &s.persona,
                    "--scenario",
                    &s.scenario,
                    "--difficulty",
                    &s.difficulty,
                    "--answers",
                ])
                .arg(f)
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&run.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
            let outcome = v["outcome"].as_str().unwrap().to_string();
            let ok = match s.expect.as_str() {
                "resolved" => outcome == "resolved",
                "walked_out" => outcome == "walked_out",
                "not_resolved" => outcome != "resolved",
                other => panic!("{}: unknown expect `{other}`", f.display()),
            };
            let turns: Vec<String> = v["turns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let kinds: Vec<&str> = t["signals"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["kind"].as_str().unwrap())
                        .collect();
                    format!(
                        "    [{}] {} {:?} {}",
                        t["anger"], t["trainee"], kinds, t["events"]
                    )
                })
                .collect();
            let trace = format!(
                "{}: expected {}, got {outcome}\n{}",
                f.display(),
                s.expect,
                turns.join("\n")
            );
            let min_anger = v["turns"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t["anger"].as_i64())
                .min()
                .unwrap_or(100);
            let last_anger = v["turns"]
                .as_array()
                .unwrap()
                .last()
                .and_then(|t| t["anger"].as_i64())
                .unwrap_or(0);
            out.push(Played {
                path: f.clone(),
                script: s,
                ok,
                min_anger,
                last_anger,
                trace,
            });
        }
    }
    out
}

/// The traces of the scripts that did not do what their header expects.
fn failed_traces(played: &[Played]) -> Vec<&str> {
    played
        .iter()
        .filter(|p| !p.ok)
        .map(|p| p.trace.as_str())
        .collect()
}

#[test]
fn scripts_in_other_words_reach_their_expected_outcome() {
    let played = play_all(&common::repo("tests/data/scripts"));
    for id in common::PERSONA_IDS {
        let mine = played.iter().filter(|p| p.script.persona == id);
        let good = mine
            .clone()
            .filter(|p| p.script.expect == "resolved")
            .count();
        let bad = mine.count() - good;
        assert!(
            good >= 3 && bad >= 2,
            "{id}: {good} good and {bad} bad scripts; expected ≥ 3 and ≥ 2"
        );
    }
    let failures = failed_traces(&played);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Scripts written by someone who saw only `persona show` (see the folder's README):
/// the measured level is a floor, so a change that makes the customer harder to
/// satisfy with reasonable handling fails here. Bad handling must never resolve.
#[test]
fn held_out_scripts_stay_at_their_measured_level() {
    let played = play_all(&common::repo("tests/data/heldout"));
    let bad_resolved: Vec<&str> = played
        .iter()
        .filter(|p| p.script.expect != "resolved" && !p.ok)
        .map(|p| p.trace.as_str())
        .collect();
    assert!(
        bad_resolved.is_empty(),
        "bad handling resolved:\n{}",
        bad_resolved.join("\n")
    );
    let good: Vec<&Played> = played
        .iter()
        .filter(|p| p.script.expect == "resolved")
        .collect();
    let resolved = good.iter().filter(|p| p.ok).count();
    assert_eq!(good.len(), 18, "the held-out set has 18 good scripts");
    let unresolved: Vec<String> = good
        .iter()
        .filter(|p| !p.ok)
        .map(|p| p.path.display().to_string())
        .collect();
    // 15 under the keyword rules; 13 since the reading landed (马上 is no deadline any
    // more, and the influential customer wants one by turn 5). This set has since been
    // looked at (see its README): tests/data/heldout-scripts is the unseen measure.
    assert!(
        resolved >= 13,
        "{resolved} of 18 held-out good scripts resolve (floor 13); unresolved: {unresolved:?}"
    );
}

/// Trainees gaming the customer with stock phrases, written by a helper from the decks
/// and `persona show` alone (see the folder's README): a paragraph of every stock act,
/// every remedy in one line, a loop of apologies, everything promised at once. None may
/// resolve, nor calm the customer below the anger at which they accept a remedy.
#[test]
fn gaming_scripts_never_resolve_nor_calm_the_customer() {
    let catalog = peilian::persona::Catalog::load(None, peilian::rubric::default_rubric()).unwrap();
    let played = play_all(&common::repo("tests/data/heldout-gaming"));
    assert_eq!(played.len(), 24, "four gaming scripts per persona");
    let failures: Vec<String> = played
        .iter()
        .filter_map(|p| {
            let accept = catalog
                .find(&p.script.persona)
                .unwrap()
                .persona
                .mood
                .accept_below;
            (!p.ok || p.min_anger < i64::from(accept)).then(|| {
                format!(
                    "lowest anger {} (accepts at {accept})\n{}",
                    p.min_anger, p.trace
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Gaming scripts whose lowest anger falls to or below the persona's acceptance line.
fn calmed_below_the_line(played: &[Played]) -> Vec<String> {
    let catalog = peilian::persona::Catalog::load(None, peilian::rubric::default_rubric()).unwrap();
    played
        .iter()
        .filter(|p| {
            let persona = &catalog.find(&p.script.persona).unwrap().persona;
            p.min_anger <= i64::from(persona.mood.accept_below)
        })
        .map(|p| p.path.display().to_string())
        .collect()
}

/// Two more batches of gaming scripts (polite nothing, a procedure recited turn after
/// turn, stock phrases one per line, gifts and haste, everything promised at once),
/// written from the decks alone and measured without reading their lines: none may
/// resolve. Kind words calm only down to the acceptance line while the customer's
/// needs are undone, but stock phrases still meet some needs (「理解您」 is the empathy
/// the emotional customer asks for), so a few still end below it: the measured counts
/// are ceilings (batch 2: 13 of 18 before that floor, 3 after; batch 3: 11, then 5).
#[test]
fn later_batches_of_gaming_scripts_never_resolve() {
    for (dir, ceiling) in [
        ("tests/data/heldout-gaming-2", 3),
        ("tests/data/heldout-gaming-3", 5),
    ] {
        let played = play_all(&common::repo(dir));
        assert_eq!(played.len(), 18, "{dir}: three gaming scripts per persona");
        let resolved = failed_traces(&played);
        assert!(resolved.is_empty(), "{}", resolved.join("\n"));
        let below = calmed_below_the_line(&played);
        assert!(
            below.len() <= ceiling,
            "{dir}: {} scripts calm the customer to the acceptance line (ceiling {ceiling}): {below:?}",
            below.len()
        );
    }
}

/// The listening customer's held-out scripts (see each folder's README): per scenario a
/// competent agent in their own words, a polite but vague novice and an agent who
/// argues in paraphrased 禁语. A novice never resolves; the 禁语 agent walks out or
/// leaves the customer at anger 90 or more (one batch-3 script ends at 83: a ceiling of
/// one); competent agents resolve at least as often as measured (batch 2 was looked at
/// while tuning; batch 3's lines are unread, its counts taken three times; batch 4 was
/// measured once on arrival, 10 of 18, lines unread; batch 5 likewise, 9 of 18). Since
/// a concrete offer the scenario does not list is taken (tuned on batches 1-3 only):
/// 13, 14, 12 and 13 of 18, batches 4 and 5 measured a second time, lines still unread;
/// with arranged apologies and staff sent to receive the customer read as offers
/// (tuned on batches 1-3): 14 and 16 for batches 2 and 3, batches 4 and 5 unchanged.
/// After tuning on batch 5's failures (so batch 5 is seen now): batches 4 and 5 at 13
/// and 16. Batch 6 (a fresh writer, lines unread) was measured before and after that
/// tuning: 13 of 18 each time (counts only, three times). Tuned on batches 1-5 (free of
/// charge 不收钱 is no negation; the agent named once for a sentence of arrangements; a
/// customer listens after accepting while the trainee still acts, and past the turn
/// limit while a turn meets a need): batches 4 and 5 at 15 and 17, batch 6 unchanged
/// at 13. Batch 7 (a fresh writer, lines unread) measured before and after: 14 both
/// times, three 禁语 scripts ending below anger 90. Batch 7 was then opened and tuned
/// on (more 禁语, blame and brush-off wordings; a slower 有社会背景 deadline and
/// patience): 14, every 禁语 script walks out. Batch 8 (a fresh writer) measured at the
/// start of that session's code and after it: 14 and 15 of 18; one of its novice
/// scripts, resolved by 「会尽快反馈给相关部门」, was read to fix that. With a plural
/// 你们 no rudeness and a restated 「您去4S店」 no brush-off: batch 2 at 15, the rest
/// unchanged. Batch 9 (a fresh writer, lines unread) measured at the start of the next
/// session: 14. Tuned on batches 2, 3, 4, 5 and 7 (的话费 and 级别/非常 no scope cue; a
/// dropped-subject 「提供代步车」 is the agent's; more remedy wordings for lounge-refused
/// and car-oil; reporting up takes a 滥用正义感 customer seriously): 17, 18, 15, 18 and
/// 17; unseen batches 6, 8 and 9 at 13, 17 and 14. Batch 10, the first written with
/// the policy `persona show` now lists (as the practice brief always told trainees),
/// measured unread with the session's starting binary and after: 16 and 17 of 18; one
/// 禁语 script ends below anger 90 without walking out. One batch-9 禁语 line was seen
/// when the coherence test named it (「录了也改变不了什么」 answered as a question).
/// With a remedy named as the topic of a refusal (「退车换车，按三包规定……才行」)
/// refused, not offered: batch 4 at 16, the rest unchanged. Batch 11 (a fresh writer,
/// with the policy visible, lines unread) measured on arrival: 15 of 18, every 禁语
/// script walks out. Batch 10 then opened: its one 禁语 script that kept the customer
/// (blame by habit 「使用习惯有问题」, 「没什么稀奇的」, 「以后再坏了别来找我们」 read as nothing)
/// walks out with three rule wordings added; batch 11 measured again, unread: 15.
/// Batch 11 then opened: its three failures were a hurt child taken to hospital
/// without a 马上 (read as rushing), a VIP told what should have been done (「本该马上
/// 给您调优先工位」, read as an offer), an acceptable offer refused as 「火还没消」 with
/// anger rising for it, and remedy wordings the influential scenario did not know.
/// Fixed in general (urgent care done as it is said, counterfactual clauses offer
/// nothing, an acceptable offer heard too early in anger stays on the table): batches
/// 6 13 → 15, 8 17 → 18, 11 15 → 18, the rest unchanged. Batch 12 (a fresh writer,
/// policy visible) measured count-only on arrival with the binary before these
/// changes, 15, and after them, 16, 16: every 禁语 script walks out, no novice
/// resolves. Its lines are unread. Batch 13 (a fresh writer) measured on arrival,
/// count-only: 12 with the binary before this change and after it. Then opened: an
/// escalator stopped 「马上」 in a line the reading took for an explanation, a phone
/// restored as 「把机复开」 and 「已经给您紧急复机了」 (done for the customer, not a past
/// event), and a supervisor's 「我是……值班主管」 and 「报运营分公司」 not heard as someone
/// who can decide: 12 → 15, batch 6 15 → 16. Batch 14 (another fresh writer), measured
/// count-only and unread: 12 with the session's starting binary, 15 after the batch-11
/// changes, 16 after the batch-13 ones; no novice resolves, every 禁语 script walks out.
/// Batch 15 (another fresh writer), measured count-only and unread with the binary of
/// the session before and after its voice changes: 17 both times; no novice resolves,
/// every 禁语 script walks out.
/// With the reading model trained on two more example files (natural negative acts,
/// pushback lines; see `rubrics/examples/`) and averaged over five shuffles, and an
/// over-promise objected to before a rush: 232 of 252 instead of 233 (batch 13 one
/// more, 8 and 10 one fewer; 8 unread, measured count-only). 禁语 scripts that neither
/// walk out nor end at anger 90 or more: two in all instead of three, one of them now
/// in batch 6 (its 「学徒都会查」 and 「规定就是哪儿坏换哪儿」 are not read as 禁语).
/// Batch 16 (another fresh writer, unread) measured count-only on arrival: 18, and 18
/// after this session's changes; with the long training lines tried and not kept
/// (see `calibrate.rs`), 17. Batches 12, 13 and 14 lost a 固执己见 script each to a
/// tried rule (a rule's content never an offer), which was dropped.
#[test]
fn listening_customer_held_out_batches_stay_at_their_measured_level() {
    for (dir, competent_floor, forbidden_misses) in [
        ("tests/data/heldout-scripts-2", 17, 0),
        ("tests/data/heldout-scripts-3", 18, 1),
        ("tests/data/heldout-scripts-4", 16, 0),
        ("tests/data/heldout-scripts-5", 18, 1),
        ("tests/data/heldout-scripts-6", 16, 1),
        ("tests/data/heldout-scripts-7", 17, 0),
        ("tests/data/heldout-scripts-8", 17, 0),
        ("tests/data/heldout-scripts-9", 14, 1),
        ("tests/data/heldout-scripts-10", 16, 0),
        ("tests/data/heldout-scripts-11", 18, 0),
        ("tests/data/heldout-scripts-12", 16, 0),
        ("tests/data/heldout-scripts-13", 16, 0),
        ("tests/data/heldout-scripts-14", 16, 0),
        ("tests/data/heldout-scripts-15", 17, 0),
        ("tests/data/heldout-scripts-16", 18, 0),
    ] {
        let played = play_all(&common::repo(dir));
        assert_eq!(played.len(), 54, "{dir}: three scripts per scenario");
        let kind = |p: &Played| {
            let name = p.path.file_stem().unwrap().to_string_lossy().to_string();
            name.rsplit('-').next().unwrap().to_string()
        };
        let novices_resolved: Vec<&str> = (played.iter())
            .filter(|p| kind(p) == "novice" && !p.ok)
            .map(|p| p.trace.as_str())
            .collect();
        assert!(
            novices_resolved.is_empty(),
            "{}",
            novices_resolved.join("\n")
        );
        let forbidden_kept: Vec<String> = (played.iter())
            .filter(|p| kind(p) == "forbidden" && !p.ok && p.last_anger < 90)
            .map(|p| p.trace.clone())
            .collect();
        assert!(
            forbidden_kept.len() <= forbidden_misses,
            "{dir}: 禁语 scripts that neither walk out nor end at anger ≥ 90:\n{}",
            forbidden_kept.join("\n")
        );
        let competent: Vec<&Played> = played.iter().filter(|p| kind(p) == "competent").collect();
        let resolved = competent.iter().filter(|p| p.ok).count();
        let unresolved: Vec<String> = (competent.iter())
            .filter(|p| !p.ok)
            .map(|p| p.path.display().to_string())
            .collect();
        assert!(
            resolved >= competent_floor,
            "{dir}: {resolved} of 18 competent scripts resolve (floor {competent_floor}); unresolved: {unresolved:?}"
        );
    }
}

/// Every script under `tests/data` with the persona and scenario it is played against:
/// from its header, else from its folder (`<persona>/<scenario>-<kind>.txt`) or its name
/// (`<grade>/<persona>.txt`, the persona's first scenario).
fn every_script() -> Vec<(std::path::PathBuf, String, Option<String>)> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "txt") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&common::repo("tests/data"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("# {name}:")))
                    .map(|v| v.trim().to_string())
            };
            let stem = f.file_stem().unwrap().to_string_lossy().to_string();
            let dir = f
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let (persona, scenario) = match field("persona") {
                Some(p) => (p, field("scenario")),
                None if common::PERSONA_IDS.contains(&dir.as_str()) => {
                    (dir, stem.rsplit_once('-').map(|(s, _)| s.to_string()))
                }
                None => (stem.clone(), None),
            };
            (f, persona, scenario)
        })
        .collect()
}

/// The customer's lines fit the moment they are said in (the listening-customer
/// issue's coherence rules), on every script the repository holds: no venting once
/// calm, no threat far from the walk-out line, no 「你都没问过我」 right after a
/// question and no 「你这么一问」 without one, no 「依我看？」 unless asked their view, no
/// 「我都说了好几遍」 on the first turn, no 「照你这么说，好像是有那么点道理」 to a bare
/// 「您好」, facts told and 「这个我不清楚」 said only when something was asked.
#[test]
fn customer_lines_fit_the_moment() {
    let catalog = peilian::persona::Catalog::load(None, peilian::rubric::default_rubric()).unwrap();
    let reproach = |line: &str| {
        line.match_indices("\u{6CA1}\u{95EE}") // 没问, not 没问题
            .any(|(i, w)| !line[i + w.len()..].starts_with('\u{9898}'))
            || line.contains("\u{95EE}\u{8FC7}\u{6211}\u{6CA1}") // 问过我没
    };
    let mut broken = Vec::new();
    let scripts = every_script();
    assert!(scripts.len() >= 300, "{} scripts", scripts.len());
    for (f, persona, scenario) in scripts {
        let walk = i64::from(catalog.find(&persona).unwrap().persona.mood.walk_out_at);
        let mut cmd = common::peilian();
        cmd.args(["run", "--json", "--persona", &persona, "--answers"])
            .arg(&f);
        if let Some(s) = &scenario {
            cmd.args(["--scenario", s]);
        }
        let v = common::stdout_json(cmd.output().unwrap());
        for t in v["turns"].as_array().unwrap() {
            let kinds: Vec<&str> = (t["signals"].as_array().unwrap().iter())
                .map(|s| s["kind"].as_str().unwrap())
                .collect();
            let trainee = t["trainee"].as_str().unwrap();
            let customer = t["customer"].as_str().unwrap_or("");
            let anger = t["anger"].as_i64().unwrap();
            let asked = kinds.contains(&"ask_info") || kinds.contains(&"consult");
            let question = asked
                || ['\u{FF1F}', '?', '\u{5417}', '\u{5462}']
                    .iter()
                    .any(|c| trainee.contains(*c));
            for m in t["moves"].as_array().unwrap() {
                let why = match m["move"].as_str().unwrap() {
                    "vent" if anger < 35 => "venting while calm",
                    "threaten" if anger < walk - 15 => "a threat far from the walk-out line",
                    "answer_fact" if !question => "a fact nobody asked for",
                    "unknown_fact" if !asked => "「不清楚」 to no question",
                    // 可以帮您 / 需要帮您 / 怎么回事: what brought them here, which they know.
                    "unknown_fact"
                        if [
                            "\u{53EF}\u{4EE5}\u{5E2E}\u{60A8}",
                            "\u{9700}\u{8981}\u{5E2E}\u{60A8}",
                            "\u{600E}\u{4E48}\u{56DE}\u{4E8B}",
                        ]
                        .iter()
                        .any(|w| trainee.contains(w)) =>
                    {
                        "「不清楚」 to an open question"
                    }
                    _ => continue,
                };
                broken.push(format!(
                    "{}: turn {}: {why}: {trainee} → {customer}",
                    f.display(),
                    t["n"]
                ));
            }
            // 这么一问 / 问到点子 / 问得好: praise for a question that was never asked.
            let credits = [
                "\u{8FD9}\u{4E48}\u{4E00}\u{95EE}",
                "\u{95EE}\u{5230}\u{70B9}\u{5B50}",
                "\u{95EE}\u{5F97}\u{597D}",
            ]
            .iter()
            .any(|w| customer.contains(w));
            if credits && !question {
                broken.push(format!(
                    "{}: turn {}: praise for a question nobody asked: {trainee} → {customer}",
                    f.display(),
                    t["n"]
                ));
            }
            // 谢什么 / 不用谢: waving off thanks nobody gave.
            let waves_off = ["\u{8C22}\u{4EC0}\u{4E48}", "\u{4E0D}\u{7528}\u{8C22}"]
                .iter()
                .any(|w| customer.contains(w));
            if waves_off && !kinds.contains(&"thanks") {
                broken.push(format!(
                    "{}: turn {}: thanks waved off that nobody gave: {trainee} → {customer}",
                    f.display(),
                    t["n"]
                ));
            }
            // 依我看？: the customer's view echoed back when nobody asked for it.
            if customer.starts_with("\u{4F9D}\u{6211}\u{770B}") && !kinds.contains(&"consult") {
                broken.push(format!(
                    "{}: turn {}: 「依我看？」 to no question about their view: {trainee} → {customer}",
                    f.display(),
                    t["n"]
                ));
            }
            // 我都说了好几遍 / 我早说了 on the first turn: there was no before.
            let said_before = [
                "\u{8BF4}\u{4E86}\u{597D}\u{51E0}\u{904D}",
                "\u{6211}\u{65E9}\u{8BF4}\u{4E86}",
            ]
            .iter()
            .any(|w| customer.contains(w));
            if said_before && t["n"].as_u64() == Some(1) {
                broken.push(format!(
                    "{}: turn 1: 「我都说了好几遍」 before saying anything: {trainee} → {customer}",
                    f.display()
                ));
            }
            // 照你这么说 / 有那么点道理 / 讲到点子上 …: an answer to something said, after a
            // line that only greeted, thanked or said goodbye (「谢什么谢……你这么说」 answers
            // the thanks and may).
            let heard_content = [
                "\u{8FD9}\u{4E48}\u{8BF4}",         // 这么说
                "\u{70B9}\u{9053}\u{7406}",         // 点道理
                "\u{6709}\u{9053}\u{7406}",         // 有道理
                "\u{8BB2}\u{6E05}\u{695A}\u{4E86}", // 讲清楚了
                "\u{70B9}\u{5B50}\u{4E0A}",         // 点子上
                "\u{8FD9}\u{4E48}\u{56DE}\u{4E8B}", // 这么回事
                "\u{8DDF}\u{6211}\u{8BF4}\u{8FC7}", // 跟我说过
            ]
            .iter()
            .any(|w| customer.contains(w));
            let waved_off = ["\u{8C22}\u{4EC0}\u{4E48}", "\u{4E0D}\u{7528}\u{8C22}"]
                .iter()
                .any(|w| customer.contains(w));
            let courtesy_only =
                (kinds.iter()).all(|k| ["greeting", "thanks", "closing"].contains(k));
            let reacted = (t["moves"].as_array().unwrap().iter()).any(|m| {
                ["react_bad", "reject_remedy", "rushed"].contains(&m["move"].as_str().unwrap())
            });
            if heard_content && !waved_off && courtesy_only && !reacted {
                broken.push(format!(
                    "{}: turn {}: an answer to what was said, to a bare courtesy: {trainee} → {customer}",
                    f.display(),
                    t["n"]
                ));
            }
            if asked && reproach(customer) {
                broken.push(format!(
                    "{}: turn {}: 「没问过我」 right after a question: {trainee} → {customer}",
                    f.display(),
                    t["n"]
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} incoherent lines:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// One script played by the real binary and scored from its transcript.
struct Scored {
    path: String,
    kind: String,
    scenario: String,
    outcome: String,
    total: f64,
    grade: String,
}

fn play_and_score(root: &Path) -> Vec<Scored> {
    let d = common::Dir::new();
    let mut out = Vec::new();
    let mut files: Vec<_> = walk_txt(root);
    files.sort();
    for (i, f) in files.iter().enumerate() {
        let s = header(f);
        let t = format!("t{i}.jsonl");
        d.cmd()
            .args(["run", "--persona", &s.persona, "--scenario", &s.scenario])
            .args([
                "--difficulty",
                &s.difficulty,
                "--transcript",
                &t,
                "--answers",
            ])
            .arg(f)
            .assert()
            .success();
        let v = common::stdout_json(
            d.cmd()
                .args(["score", "--format", "json", &t])
                .output()
                .unwrap(),
        );
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        out.push(Scored {
            path: f.display().to_string(),
            kind: name.rsplit('-').next().unwrap().to_string(),
            scenario: format!("{}/{}", s.persona, s.scenario),
            outcome: v["outcome"].as_str().unwrap().to_string(),
            total: v["total"].as_f64().unwrap(),
            grade: v["grade"].as_str().unwrap().to_string(),
        });
    }
    out
}

fn walk_txt(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_txt(&p));
        } else if p.extension().is_some_and(|x| x == "txt") {
            out.push(p);
        }
    }
    out
}

/// Scores certify handling (issue 13's evidence), on the fourth batch of held-out
/// scripts, written from the decks alone and first measured with this scorer: in
/// every scenario the competent agent outscores the novice, who outscores the agent of
/// 禁语; a resolved competent session is 良好 (≥ 75) — one of ten was not when
/// measured (64.5), the ceiling here.
#[test]
fn scores_order_competent_over_novice_over_forbidden_on_unseen_scripts() {
    let scored = play_and_score(&common::repo("tests/data/heldout-scripts-4"));
    assert_eq!(scored.len(), 54);
    let mut scenarios: Vec<&str> = scored.iter().map(|s| s.scenario.as_str()).collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    for sc in scenarios {
        let of = |kind: &str| {
            (scored.iter())
                .find(|s| s.scenario == sc && s.kind == kind)
                .unwrap_or_else(|| panic!("{sc}: no {kind} script"))
        };
        let (c, n, f) = (of("competent"), of("novice"), of("forbidden"));
        assert!(
            c.total > n.total && n.total > f.total,
            "{sc}: competent {} > novice {} > 禁语 {}",
            c.total,
            n.total,
            f.total
        );
    }
    let below: Vec<String> = (scored.iter())
        .filter(|s| s.kind == "competent" && s.outcome == "resolved" && s.total < 75.0)
        .map(|s| format!("{} {}", s.path, s.total))
        .collect();
    assert!(below.len() <= 1, "{below:#?}");
}

/// Gaming scripts (stuffed paragraphs, every remedy at once, rotated apologies,
/// promising everything, stock phrases spread over turns) never pass, in any batch.
#[test]
fn gaming_scripts_never_pass() {
    for dir in [
        "tests/data/heldout-gaming",
        "tests/data/heldout-gaming-2",
        "tests/data/heldout-gaming-3",
    ] {
        // Neither the grade nor the total: a capped grade caps the total too.
        let passed: Vec<String> = (play_and_score(&common::repo(dir)).into_iter())
            .filter(|s| s.grade != "不合格" || s.total >= 60.0)
            .map(|s| format!("{} {} {}", s.path, s.total, s.grade))
            .collect();
        assert!(passed.is_empty(), "{dir}: {passed:#?}");
    }
}

/// Assessed together with honest sessions, a trainee who games the customer with stock
/// phrases, promises and lists never tops the cohort report: every gaming session
/// ranks below every resolved honest one in `summary.csv`, and below 60.
#[test]
fn gaming_sessions_never_top_a_cohort_report() {
    let d = common::Dir::new();
    let mut manifest = String::new();
    let mut add = |trainee: &str, f: &Path| {
        let s = header(f);
        manifest.push_str(&format!(
            "[[session]]\ntrainee = \"{trainee}\"\npersona = \"{}\"\nscenario = \"{}\"\nanswers = {:?}\n\n",
            s.persona,
            s.scenario,
            f.display().to_string()
        ));
    };
    for f in walk_txt(&common::repo("tests/data/heldout-gaming-3")) {
        add("套话王", &f);
    }
    for f in walk_txt(&common::repo("tests/data/heldout-scripts-4")) {
        if f.to_string_lossy().ends_with("-competent.txt") {
            add("老实人", &f);
        }
    }
    d.write("manifest.toml", manifest);
    d.cmd()
        .args(["assess", "--manifest", "manifest.toml", "--out", "out"])
        .assert()
        .success();
    let mut csv = csv::Reader::from_path(d.path().join("out/summary.csv")).unwrap();
    let head = csv.headers().unwrap().clone();
    let col = |name: &str| {
        head.iter()
            .position(|h| h.trim_start_matches('\u{FEFF}') == name)
            .unwrap()
    };
    let (who, total, outcome) = (col("学员"), col("总分"), col("结局"));
    let mut rows: Vec<(String, f64, String)> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[who].to_string(),
                r[total].parse().unwrap(),
                r[outcome].to_string(),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(rows[0].0, "老实人", "{rows:?}");
    let best_gamed = rows
        .iter()
        .filter(|r| r.0 == "套话王")
        .map(|r| r.1)
        .fold(0.0, f64::max);
    assert!(best_gamed < 60.0, "{rows:?}");
    let resolved_honest: Vec<f64> = (rows.iter())
        .filter(|r| r.0 == "老实人" && r.2 == "问题解决")
        .map(|r| r.1)
        .collect();
    assert!(!resolved_honest.is_empty());
    assert!(resolved_honest.iter().all(|t| *t > best_gamed), "{rows:?}");
}
