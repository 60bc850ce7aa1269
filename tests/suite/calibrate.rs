//! `peilian rubric calibrate`: does the rubric order labelled sample sessions as the
//! trainer labelled them?

use crate::common;

use std::path::Path;

use common::{Dir, repo};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// Play `lines` (or a script file's lines) into `dir/label/name.jsonl`.
fn record(d: &Dir, label: &str, name: &str, persona: &str, script: &Path, keep: usize) {
    let text = std::fs::read_to_string(script).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .take(keep)
        .collect();
    let scenario = text
        .lines()
        .find_map(|l| l.strip_prefix("# scenario:"))
        .unwrap()
        .trim()
        .to_string();
    std::fs::create_dir_all(d.path().join("samples").join(label)).unwrap();
    d.cmd()
        .args([
            "run",
            "--persona",
            persona,
            "--scenario",
            &scenario,
            "--answers",
            "-",
            "--transcript",
        ])
        .arg(format!("samples/{label}/{name}.jsonl"))
        .write_stdin(lines.join("\n") + "\n")
        .assert()
        .success();
}

fn samples(d: &Dir, mislabel: bool) {
    let s = |p: &str| repo(&format!("tests/data/scripts/{p}"));
    record(d, "great", "a", "emotional", &s("emotional/good-1.txt"), 99);
    record(d, "great", "b", "stubborn", &s("stubborn/good-1.txt"), 99);
    record(
        d,
        "average",
        "c",
        "emotional",
        &s("emotional/good-1.txt"),
        3,
    );
    record(d, "average", "d", "stubborn", &s("stubborn/good-1.txt"), 3);
    record(
        d,
        "poor",
        "e",
        "emotional",
        &s("emotional/bad-1-argues.txt"),
        99,
    );
    let wrong = if mislabel { "great" } else { "poor" };
    record(
        d,
        wrong,
        "f",
        "righteous",
        &s("righteous/bad-1-blames.txt"),
        99,
    );
}

#[test]
fn a_sound_rubric_orders_the_samples() {
    let d = Dir::new();
    samples(&d, false);
    d.cmd()
        .args(["rubric", "calibrate", "samples"])
        .assert()
        .success()
        .stdout(
            contains("优秀")
                .and(contains("一般"))
                .and(contains("差"))
                .and(contains("✓ 排序正确")),
        );
}

#[test]
fn a_mislabelled_sample_is_shown() {
    let d = Dir::new();
    samples(&d, true);
    d.cmd()
        .args(["rubric", "calibrate", "samples"])
        .assert()
        .code(1)
        .stdout(contains("✗").and(contains("great/f.jsonl")));
}

#[test]
fn an_empty_directory_says_what_to_put_there() {
    let d = Dir::new();
    std::fs::create_dir_all(d.path().join("samples")).unwrap();
    d.cmd()
        .args(["rubric", "calibrate", "samples"])
        .assert()
        .code(2)
        .stderr(contains("great/"));
}

/// `--json`: one object a script can read, with the same verdict and exit code.
#[test]
fn json_reports_labels_and_inversions() {
    let d = Dir::new();
    samples(&d, true);
    let out = d
        .cmd()
        .args(["rubric", "calibrate", "samples", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["rubric"]["id"], "default");
    let labels: Vec<&str> = v["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["great", "average", "poor"]);
    assert!(v["labels"][0]["count"].as_u64().unwrap() >= 2);
    let inv = &v["inversions"][0];
    assert_eq!(inv["better"]["label"], "great");
    assert!(inv["better"]["total"].as_f64().unwrap() <= inv["worse"]["total"].as_f64().unwrap());
    assert!(v["inversions"].as_array().unwrap().iter().any(|i| {
        i["better"]["file"]
            .as_str()
            .unwrap()
            .ends_with("great/f.jsonl")
    }));
    assert_eq!(v["skipped"], serde_json::json!([]));
}

/// The calibration sets people wrote and labelled from the decks alone (see each
/// folder's README), played through `run` and calibrated: great > average > poor on
/// average, and no more inverted pairs than measured (issue 13 asks for none). The
/// first set (36 sessions) has been looked at while tuning: 15 inversions, then 9.
/// The second (54) was measured on arrival, unread: 48 of 972 pairs; 35 after the
/// arranged-apology and staff-welcome offers were read (tuned on seen scripts only);
/// 21 and 3 at the start of the session that let the customer listen after accepting
/// and past its patience while a turn meets a need, 16 and 2 after it; 14 and 3 once the
/// plural 你们 stopped costing a poor set-1 session its 0.5-point 不礼貌 deduction (it
/// now scores 17.7, 0.1 above an average one). The next session's reading fixes
/// (什么 after a negation asks nothing, 的话费 and 级别 no scope cues) made three
/// average set-2 sessions score higher (24 inversions, 20 of them under one great
/// 自我陶醉 session); that session was then read, so set 2 is seen now: its customer
/// never counted 「想听听您的意思」 as being asked (the 请教 act now meets that need),
/// and the set is at 5 (the scene no longer takes 「……改变不了什么」 for a question). The third set (54, written by a fresh helper who saw the
/// policy `persona show` now lists) was measured on arrival with that session's
/// starting binary and after its changes: 64 inversions each time (three measurements),
/// unread. An offer to look into it first (「我先帮您检测一下」) is no remedy and no rush:
/// set 1 at 1, sets 2 and 3 unchanged (set 3's fourth measurement, still unread).
/// Urgent care done as it is said, counterfactual clauses, and an acceptable offer
/// kept while the customer is still angry: set 2 at 4, set 3 at 62 (fifth, unread).
/// Set 3 was then read (so it is seen now), and what it showed changed: the customer
/// stays on after accepting while a line carries on with the handling in the
/// scenario's terms; a stage is credited where it came at its time; an apology after
/// action is no empty one; words the policy forbids, only mentioned, are no promise;
/// a line that also hurts meets no need. Set 3 at 51. The fourth set (54, a fresh
/// writer, decks and `persona show` only) was measured on arrival with the starting
/// binary (70) and after those changes (60), unread. 确认 credited only for a check
/// asked as a question (not a bare goodbye): sets 1–4 at 0, 4, 49, 59 (set 4 unread).
/// The customer's wish named back and a rule cited are no offer or promise: set 3 at
/// 48, set 4 at 59 (its fourth measurement, unread).
///
/// A fifth set (54, another fresh writer, decks and `persona show` only) was measured
/// on arrival, unread, with that binary (28) and with the reading model trained on two
/// more example files (the seventh writer's natural negative acts and the main
/// session's pushback lines): 22, and set 4 at 35. The examples were kept, the model
/// became the average of five fits from different shuffles (the shuffle alone had
/// moved set 3 by a dozen pairs), the 请教 rule took 「听听您的意思」 and a choice put
/// to the customer (「您是喜欢……还是……？」), a sum-up of one's own findings after
/// 「也就是说」 stopped counting as a restatement, and an over-promise is objected to
/// before a rush: sets 1-5 at 10, 25, 40, 36, 18 (sets 4 and 5 unread; set 5 measured
/// six times in that session, set 4 five more). Sets 1 and 2 lost ground: they had
/// been tuned against the old model's readings (one great set-1 session was resolved
/// by 「配件一到」 misread as the offer).
///
/// Compliance then had to be earned by handling: in a session the customer did not
/// accept, below half the 处理流程 points, the 禁语与禁止法则 points are scaled by the
/// share reached (a poor session of calm brush-offs the reading missed kept all
/// twenty). Sets 1-5 at 7, 12, 17, 18, 15 (the rule and five variants were each
/// measured on every set, so sets 4 and 5 have been used to choose, though no script of
/// theirs was read). A blind judge who read only
/// the decks and the customer briefs graded sets 4 and 5 shuffled and unlabelled: all
/// 108 grades agreed with the writers' labels, with no inversion, so the labels are
/// not what stands between these numbers and zero. With a reaction to 轻描淡写 in every
/// shipped persona: set 3 at 16, the others unchanged.
///
/// Sets 6, 7 and 8 (54 each, three more fresh writers, decks and `persona show`
/// only), each measured on arrival with the session's starting binary: 29, 19 and 37.
/// Sets 6 and 7 were then read, and set 8 measured count-only, with each change tried.
/// Kept: an assurance vouches for what follows it in its sentence (「您放心，……，厂家
/// 肯定会召回的」 is a promise beyond the policy), a story checked with 「核对一下」 or
/// closed by 「是这样吧」 is told back (its 「想退车」 is no offer), and two fact
/// wordings for 滥用正义感's escalator. Sets 1-6 unchanged, set 7 at 18; set 8 at 42: one 一般
/// session that states the compensation as 一倍 instead of 三倍 gained its
/// restatement (85.8 -> 90.8), and the card does not see the wrong amount. Tried and
/// not kept, each for losing more than it gained: a ninth writer's long lines as
/// training examples (held-out reading recall up on all six sets, but the customer
/// and the card flip on lines the tests guard, a gaming script reached 60.6), the
/// idiom 「再正常不过」 kept in one clause (set 6 29 -> 16, held-out d precision 0.9145
/// -> 0.9098), a rule's content never an offer (three held-out competent scripts lost
/// 「按……规定，可以退最近三个月的业务费，三个工作日内退回」), a floor for compliance in
/// unhandled sessions, and the customer objecting to the unacceptable one of two
/// remedies named together.
///
/// The next session checked sums of money against the policy's (the ledger lists a
/// wrong one 数额不对 and the customer takes it up): four writers of sets 4, 6, 7 and 8
/// had each marked a 有备而来 session 一般 for paying the old law's 一倍 where 三倍 is
/// owed. Set 4 at 17, set 7 at 8, set 8 at 32, the others unchanged; set 8's session
/// had been named in the note before, so set 8 is no longer count-only. Set 9 (54, a
/// fresh writer, decks and `persona show` only) was measured on arrival with that
/// session's landed binary, count-only: 24.
///
/// The session after fixed the restatement read in one set 9 file (「您是说……，对吧。」
/// read as an offer): no set's count changed. Set 10 (54, a fresh writer, decks and
/// `persona show` only), measured on arrival with that session's starting binary and
/// with the changed one, count-only: 27 both times.
#[test]
fn the_people_labelled_calibration_sets_keep_their_order() {
    for (set, most) in [
        ("tests/data/calibration-people", 7),
        ("tests/data/calibration-people-2", 12),
        ("tests/data/calibration-people-3", 16),
        ("tests/data/calibration-people-4", 17),
        ("tests/data/calibration-people-5", 15),
        ("tests/data/calibration-people-6", 29),
        ("tests/data/calibration-people-7", 8),
        ("tests/data/calibration-people-8", 32),
        ("tests/data/calibration-people-9", 24),
        ("tests/data/calibration-people-10", 27),
    ] {
        calibrated_set_keeps_its_order(set, most);
    }
}

fn calibrated_set_keeps_its_order(set: &str, most: usize) {
    let d = Dir::new();
    let root = repo(set);
    for label in ["great", "average", "poor"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(label))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let name = f.file_stem().unwrap().to_string_lossy().to_string();
            let persona = text
                .lines()
                .find_map(|l| l.strip_prefix("# persona:"))
                .map_or_else(
                    || name.trim_end_matches("-2").to_string(),
                    |p| p.trim().to_string(),
                );
            // The first batch plays each type's first scenario and has no header for it.
            let scenario = text.lines().find_map(|l| l.strip_prefix("# scenario:"));
            std::fs::create_dir_all(d.path().join("samples").join(label)).unwrap();
            let mut cmd = d.cmd();
            cmd.args(["run", "--persona", &persona]);
            if let Some(s) = scenario {
                cmd.args(["--scenario", s.trim()]);
            }
            cmd.arg("--answers")
                .arg(&f)
                .arg("--transcript")
                .arg(format!("samples/{label}/{name}.jsonl"))
                .assert()
                .success();
        }
    }
    let out = d
        .cmd()
        .args(["rubric", "calibrate", "samples", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mean = |label: &str| -> f64 {
        (v["labels"].as_array().unwrap().iter())
            .find(|l| l["label"] == label)
            .unwrap_or_else(|| panic!("{label}: {v}"))["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(mean("great") > mean("average"), "{set}: {v}");
    assert!(mean("average") > mean("poor"), "{set}: {v}");
    let inversions = v["inversions"].as_array().unwrap().len();
    assert!(inversions <= most, "{set}: {inversions} inversions: {v}");
}
