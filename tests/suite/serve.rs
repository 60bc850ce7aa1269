//! `peilian serve` through its API: the real binary on 127.0.0.1 and a real HTTP
//! client. A session played on the page is written and scored like a terminal one,
//! survives a SIGKILL of the server, and is nobody else's business.

use crate::common;

use std::time::{Duration, Instant};

use common::Dir;
use common::web::{Server, TRAINER_CODE, Trainee, event, good_lines, records};
use serde_json::{Value, json};

/// A session played from start to scorecard, undo included, scores with `peilian
/// score` exactly as the page said, and `history` lists it.
#[test]
fn a_session_on_the_page_is_a_transcript_like_any_other() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let t = Trainee::login(&server, "小王", None);
    let view = t.start("emotional", "practice");
    let id = view["id"].as_str().unwrap();
    assert_eq!(view["exam"], false);
    assert!(
        view["anger"].as_i64().unwrap() > 0,
        "practice shows the mood"
    );
    assert!(!view["lines"][0]["text"].as_str().unwrap().is_empty());

    // A rude line, taken back: the coach flags it, undo restores the mood.
    let before = view["anger"].as_i64().unwrap();
    let rude = t.say(id, "公司的规定就是这样的，我也没办法。");
    let coach = event(&rude, "decided").unwrap()["coach"].as_str().unwrap();
    assert!(coach.starts_with('⚠'), "{coach}");
    let undone = Trainee::ok(t.post_empty(&format!("/api/sessions/{id}/undo")));
    assert_eq!(undone["anger"].as_i64().unwrap(), before);
    assert_eq!(undone["turn"], 0);

    let lines = good_lines();
    for line in &lines {
        let events = t.say(id, line);
        let done = event(&events, "done").expect("a done event");
        assert!(!done["customer"].as_str().unwrap().is_empty());
        assert!(event(&events, "decided").is_some());
    }
    let ended = Trainee::ok(t.post_empty(&format!("/api/sessions/{id}/end")));
    let total = ended["total"].as_f64().unwrap();
    let card = t.get(ended["card"].as_str().unwrap());
    assert_eq!(card.status(), 200);
    assert!(
        card.text().unwrap().contains("<svg"),
        "the card has its mood curve"
    );

    let files = server.transcripts();
    assert_eq!(files.len(), 1);
    let recs = records(&files[0]);
    assert_eq!(recs[0]["via"], "web");
    assert_eq!(recs[0]["trainee"], "小王");
    assert_eq!(recs[0]["mode"], "practice");
    assert!(recs.iter().any(|r| r["type"] == "undo"));
    assert_eq!(recs.last().unwrap()["type"], "end");
    assert!(
        files[0].with_extension("html").is_file(),
        "the HTML report lies beside the transcript, as after a terminal session"
    );

    let scored = common::stdout_json(
        d.cmd()
            .args(["score", "--format", "json"])
            .arg(&files[0])
            .output()
            .unwrap(),
    );
    let score_total = scored["total"].as_f64().unwrap();
    assert!(
        (score_total - total).abs() < 0.06,
        "{score_total} vs {total}"
    );
    assert_eq!(
        scored["replay"]["status"], "verified",
        "{}",
        scored["replay"]
    );

    let history = d
        .cmd()
        .args(["history", "--all", "--sessions-dir"])
        .arg(&server.sessions)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&history.stdout);
    assert!(history.status.success(), "{text}");
    assert!(text.contains("小王") || text.contains("感情用事"), "{text}");
}

/// Ids the server never issued, another trainee's session, no token, an oversized or
/// malformed body: each refused with a Chinese message, and nothing reaches a file.
#[test]
fn strangers_bad_ids_and_oversized_bodies_are_refused() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let a = Trainee::login(&server, "甲", None);
    let b = Trainee::login(&server, "乙", None);
    let id = a.start_id("emotional", "practice");

    for path in [
        format!("/api/sessions/{id}"),
        format!("/api/sessions/{id}/card"),
        format!("/api/sessions/{id}/hint"),
    ] {
        let r = b.get(&path);
        assert_eq!(r.status(), 404, "{path}");
        let v: Value = r.json().unwrap();
        assert_eq!(v["error"], "没有这场练习", "{path}");
    }
    let r = b.post(
        &format!("/api/sessions/{id}/turn"),
        &json!({"text": "你好"}),
    );
    assert_eq!(r.status(), 404);
    assert_eq!(
        b.post_empty(&format!("/api/sessions/{id}/end")).status(),
        404
    );

    for bad in [
        "00000000000000000000000000000000",
        "..%2F..%2Fetc%2Fpasswd",
        "%2E%2E",
        "x.jsonl",
    ] {
        assert_eq!(
            a.get(&format!("/api/sessions/{bad}")).status(),
            404,
            "{bad}"
        );
    }

    let nobody = Trainee::new(&server);
    let r = nobody.get("/api/menu");
    assert_eq!(r.status(), 401);
    assert!(r.text().unwrap().contains("请先输入名字"));
    let forged = Trainee {
        token: Some("0".repeat(32)),
        ..Trainee::new(&server)
    };
    assert_eq!(forged.get(&format!("/api/sessions/{id}")).status(), 401);

    let huge = "好".repeat(20_000);
    let r = a.post(
        &format!("/api/sessions/{id}/turn"),
        &json!({ "text": huge }),
    );
    assert_eq!(r.status(), 413);
    assert!(r.text().unwrap().contains("请求太大"));
    let r = a
        .http
        .post(format!("{}/api/sessions/{id}/turn", server.url))
        .bearer_auth(a.token.as_ref().unwrap())
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("请求的内容不对"));
    let r = a.post(
        &format!("/api/sessions/{id}/turn"),
        &json!({ "text": " \n " }),
    );
    assert_eq!(r.status(), 400);

    // A long reply within the body limit is cut to 2,000 characters, as in the REPL.
    let long = "您好".repeat(1500);
    let events = a.say(&id, &long);
    let note = event(&events, "note").expect("the cut is said");
    assert!(note["text"].as_str().unwrap().contains("3000"), "{note}");
    let files = server.transcripts();
    assert_eq!(files.len(), 1, "nothing but the one session's file");
    let recs = records(&files[0]);
    assert_eq!(recs[1]["trainee"].as_str().unwrap().chars().count(), 2000);
    assert!(
        !std::fs::read_dir(&server.sessions)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("passwd"))
    );
}

/// An access code, when set, is asked of everyone, and a wrong one is refused.
#[test]
fn the_access_code_is_checked() {
    let d = Dir::new();
    let server = Server::start(&d, &["--access-code", "4321"]);
    let t = Trainee::new(&server);
    let status = Trainee::ok(t.get("/api/status"));
    assert_eq!(status["access_code"], true);
    for code in [None, Some("1234"), Some("")] {
        let r = t.post("/api/login", &json!({"name": "小王", "code": code}));
        assert_eq!(r.status(), 403, "{code:?}");
        assert!(r.text().unwrap().contains("访问码不对"));
    }
    let ok = Trainee::login(&server, "小王", Some("4321"));
    assert_eq!(ok.get("/api/menu").status(), 200);
}

/// An exam shows neither mood nor coach, and refuses undo and hints.
#[test]
fn an_exam_on_the_page_hides_the_mood_and_the_coach() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let t = Trainee::login(&server, "小王", None);
    let view = t.start("emotional", "exam");
    let id = view["id"].as_str().unwrap();
    assert_eq!(view["exam"], true);
    assert!(view["anger"].is_null());
    let events = t.say(id, "公司的规定就是这样的，我也没办法。");
    let decided = event(&events, "decided").unwrap();
    assert!(
        decided["coach"].is_null() && decided["anger"].is_null(),
        "{decided}"
    );
    assert!(event(&events, "done").unwrap()["anger"].is_null());
    for (method, what) in [("POST", "undo"), ("GET", "hint")] {
        let path = format!("/api/sessions/{id}/{what}");
        let r = if method == "POST" {
            t.post_empty(&path)
        } else {
            t.get(&path)
        };
        assert_eq!(r.status(), 409, "{what}");
        assert!(r.text().unwrap().contains("考试模式下不能"));
    }
    let recs = records(&server.transcripts()[0]);
    assert_eq!(recs[0]["mode"], "exam");
}

/// The server killed with SIGKILL mid-session and started again: the page reloads
/// into the same session with every line said, and it goes on to a scorecard.
#[test]
fn a_killed_server_loses_nothing_said() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let t = Trainee::login(&server, "小王", None);
    let id = t.start_id("emotional", "practice");
    let lines = good_lines();
    let mut said = Vec::new();
    for line in &lines[..3] {
        let done = event(&t.say(&id, line), "done").unwrap().clone();
        said.push(done["customer"].as_str().unwrap().to_string());
    }
    server.kill();

    let server = Server::start(&d, &[]);
    let again = Trainee {
        base: server.url.clone(),
        ..t
    };
    let mine = Trainee::ok(again.get("/api/sessions"));
    assert_eq!(mine["current"], id.as_str(), "the reload finds the session");
    let view = Trainee::ok(again.get(&format!("/api/sessions/{id}")));
    let shown: Vec<&str> = view["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(shown.len(), 1 + 2 * 3);
    for (i, line) in lines[..3].iter().enumerate() {
        assert_eq!(shown[1 + 2 * i], line.as_str());
        assert_eq!(shown[2 + 2 * i], said[i]);
    }
    assert_eq!(view["turn"], 3);
    for line in &lines[3..] {
        event(&again.say(&id, line), "done").unwrap();
    }
    Trainee::ok(again.post_empty(&format!("/api/sessions/{id}/end")));
    let files = server.transcripts();
    assert_eq!(files.len(), 1, "the session went on in its own file");
    let recs = records(&files[0]);
    let turns = recs.iter().filter(|r| r["type"] == "turn").count();
    assert_eq!(turns, lines.len());
    d.cmd().arg("score").arg(&files[0]).assert().success();
}

/// A page closed while the customer answers: the turn is played and kept all the same.
#[test]
fn a_client_leaving_mid_stream_loses_no_turn() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let t = Trainee::login(&server, "小王", None);
    let id = t.start_id("emotional", "practice");
    let r = t.post(
        &format!("/api/sessions/{id}/turn"),
        &json!({"text": "您好，您别急，慢慢说。"}),
    );
    drop(r); // the response is never read
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = Trainee::ok(t.get(&format!("/api/sessions/{id}")));
        if view["turn"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the turn was not kept");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(event(&t.say(&id, "请问是哪天报修的？"), "done").is_some());
    assert_eq!(Trainee::ok(t.get("/api/status"))["name"], "小王");
}

/// A client sending far more than a person could is told to slow down.
#[test]
fn a_flood_of_requests_is_rate_limited() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let t = Trainee::login(&server, "小王", None);
    let codes: Vec<u16> = (0..120)
        .map(|_| t.get("/api/status").status().as_u16())
        .collect();
    let limited = codes.iter().filter(|c| **c == 429).count();
    assert!(limited > 0, "no request was limited");
    assert!(codes[..30].iter().all(|c| *c == 200), "{codes:?}");
    let r = t.get("/api/status");
    if r.status() == 429 {
        assert_eq!(r.headers()["retry-after"], "1");
        assert!(r.text().unwrap().contains("请求太频繁"));
    }
    // Another trainee has a bucket of their own.
    let other = Trainee::login(&server, "小李", None);
    assert_eq!(other.get("/api/menu").status(), 200);
}

/// Restart on the page ends the session as abandoned and starts another that says so.
#[test]
fn restart_on_the_page_keeps_the_abandoned_attempt() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let t = Trainee::login(&server, "小王", None);
    let id = t.start_id("emotional", "practice");
    t.say(&id, "您好");
    let next = Trainee::ok(t.post_empty(&format!("/api/sessions/{id}/restart")));
    assert_ne!(next["id"], id.as_str());
    let r = t.post(
        &format!("/api/sessions/{id}/turn"),
        &json!({"text": "你好"}),
    );
    assert_eq!(r.status(), 409, "the old session is closed");
    let files = server.transcripts();
    assert_eq!(files.len(), 2);
    let all: Vec<Vec<Value>> = files.iter().map(|f| records(f)).collect();
    let old = all.iter().find(|r| r[0]["restart_of"].is_null()).unwrap();
    assert_eq!(old.last().unwrap()["restarted"], true);
    let new = all.iter().find(|r| !r[0]["restart_of"].is_null()).unwrap();
    assert_eq!(new[0]["via"], "web");
}

/// The trainer's view: behind its own code, every session by trainee with its score,
/// each scorecard, and the cohort report.
#[test]
fn the_trainer_view_lists_the_room_behind_its_code() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    for name in ["小王", "小李"] {
        let t = Trainee::login(&server, name, None);
        let id = t.start_id("emotional", "practice");
        for line in good_lines().iter().take(3) {
            t.say(&id, line);
        }
        Trainee::ok(t.post_empty(&format!("/api/sessions/{id}/end")));
    }
    let trainer = Trainee::new(&server);
    assert_eq!(trainer.get("/api/trainer/sessions").status(), 401);
    let trainee = Trainee::login(&server, "小张", None);
    assert_eq!(trainee.get("/api/trainer/sessions").status(), 401);
    let r = trainer.post("/api/trainer/login", &json!({"code": "wrong"}));
    assert_eq!(r.status(), 403);
    let v = Trainee::ok(trainer.post("/api/trainer/login", &json!({ "code": TRAINER_CODE })));
    let trainer = Trainee {
        token: Some(v["token"].as_str().unwrap().to_string()),
        ..trainer
    };
    let list = Trainee::ok(trainer.get("/api/trainer/sessions"));
    let rows = list["sessions"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["trainee"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["小李", "小王"], "by trainee");
    for r in rows {
        assert!(
            r["total"].as_f64().is_some() && r["grade"].is_string(),
            "{r}"
        );
        let card = trainer.get(&format!(
            "/trainer/scorecards/{}.html",
            r["id"].as_str().unwrap()
        ));
        assert_eq!(card.status(), 200);
        assert!(card.text().unwrap().contains("评分卡"));
    }
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let report = trainer.get(&format!("/trainer/report?ids={}", ids.join(",")));
    assert_eq!(report.status(), 200);
    let html = report.text().unwrap();
    assert!(html.contains("小王") && html.contains("小李"));
    assert!(html.contains(&format!("scorecards/{}.html", ids[0])));
    // A trainee's own token opens nothing of the trainer's.
    assert_eq!(trainee.get("/trainer/report").status(), 401);
}

/// Thirty trainees at once on loopback, each playing a whole session: every turn is
/// answered and every transcript is complete. Bounded: 30 sessions of the six advised
/// lines each, every request within the client's 60 s timeout. The latencies are
/// printed for the record, not asserted (benches/serve.rs measures them).
#[test]
fn thirty_trainees_at_once_are_all_answered_and_kept() {
    const TRAINEES: usize = 30;
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    let lines = good_lines();
    let barrier = std::sync::Barrier::new(TRAINEES);
    let latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..TRAINEES)
            .map(|i| {
                let (server, lines, barrier) = (&server, &lines, &barrier);
                s.spawn(move || {
                    let t = Trainee::login(server, &format!("学员{i:02}"), None);
                    let id = t.start_id("emotional", "practice");
                    barrier.wait();
                    let mut took = Vec::new();
                    for line in lines {
                        let at = Instant::now();
                        let events = t.say(&id, line);
                        took.push(at.elapsed());
                        let done = event(&events, "done").expect("every turn is answered");
                        assert!(!done["customer"].as_str().unwrap().is_empty());
                    }
                    Trainee::ok(t.post_empty(&format!("/api/sessions/{id}/end")));
                    took
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a trainee thread"))
            .collect()
    });
    assert_eq!(latencies.len(), TRAINEES * lines.len());
    let files = server.transcripts();
    assert_eq!(files.len(), TRAINEES);
    for f in &files {
        let recs = records(f);
        assert_eq!(recs[0]["type"], "header");
        let turns = recs.iter().filter(|r| r["type"] == "turn").count();
        assert_eq!(turns, lines.len(), "{}", f.display());
        assert_eq!(recs.last().unwrap()["type"], "end", "{}", f.display());
    }
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "{} turns from {TRAINEES} trainees at once: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (debug build)",
        ms.len(),
        at(0.5),
        at(0.99),
        ms[ms.len() - 1]
    );
}

/// With a model voicing the customer, the page gets the words as the model streams
/// them (one `token` event per piece), then the whole line; the API key stays on the
/// server.
#[test]
fn a_model_voiced_customer_streams_to_the_page_token_by_token() {
    use crate::llm_support::{Server as Llm, sse_reply};
    let llm = Llm::start(vec![sse_reply(&["嗯,", "你接着说,", "我听着。"])]);
    let d = Dir::new();
    let url = llm.url();
    let key = "sk-serve-test-key";
    let server = Server::start_with_env(
        &d,
        &["--backend", "llm", "--base-url", &url, "--model", "m"],
        &[("OPENAI_API_KEY", key)],
    );
    let t = Trainee::login(&server, "小王", None);
    let view = t.start("emotional", "practice");
    let id = view["id"].as_str().unwrap();
    let events = t.say(id, "您好，您别急，慢慢说。");
    let tokens: Vec<&str> = events
        .iter()
        .filter(|e| e.event == "token")
        .map(|e| e.data["text"].as_str().unwrap())
        .collect();
    assert_eq!(tokens, ["嗯,", "你接着说,", "我听着。"], "{events:?}");
    let done = event(&events, "done").unwrap();
    assert_eq!(done["customer"], "嗯,你接着说,我听着。");
    let decided = events.iter().position(|e| e.event == "decided").unwrap();
    let first = events.iter().position(|e| e.event == "token").unwrap();
    assert!(
        decided < first,
        "the coach line comes before the customer speaks"
    );
    let page = format!("{view}{events:?}");
    assert!(!page.contains(key), "the key reached the page");
    let recs = records(&server.transcripts()[0]);
    assert_eq!(recs[0]["backend"]["name"], "llm");
    assert_eq!(recs[1]["voice"]["source"], "llm");
    assert!(
        llm.chat_requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&*format!("Bearer {key}")))
    );
}

/// Transcripts the server writes are sealed with its key: `assess` of its folder (or
/// with `--key`) checks them, and one edited to another trainee's name or renamed
/// after the server wrote it fails the check, named.
#[test]
fn a_sealed_transcript_edited_or_renamed_fails_the_assessors_check() {
    let d = Dir::new();
    let server = Server::start(&d, &[]);
    for name in ["小王", "小李"] {
        let t = Trainee::login(&server, name, None);
        let id = t.start_id("emotional", "exam");
        for line in good_lines().iter().take(2) {
            t.say(&id, line);
        }
        Trainee::ok(t.post_empty(&format!("/api/sessions/{id}/end")));
    }
    let files = server.transcripts();
    let sessions = server.sessions.clone();
    server.kill();
    let key = sessions.join(".serve/key");
    assert!(key.is_file());
    let assess = |dir: &std::path::Path, extra: &[&std::ffi::OsStr]| {
        let out = d
            .cmd()
            .arg("assess")
            .arg(dir)
            .args(["--strict", "--out"])
            .arg(d.path().join("out"))
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = assess(&sessions, &[]);
    assert_eq!(code, Some(0), "the server's own folder checks clean: {err}");

    // An assessor's copy: 小王's session edited to be 小李's, and another renamed.
    let copy = d.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in &files {
        let name = f.file_name().unwrap();
        std::fs::copy(f, copy.join(name)).unwrap();
        let sig = peilian::transcript::seal::sig_path(f);
        std::fs::copy(&sig, copy.join(sig.file_name().unwrap())).unwrap();
    }
    let with_key = [std::ffi::OsStr::new("--key"), key.as_os_str()];
    let (code, err) = assess(&copy, &with_key);
    assert_eq!(
        code,
        Some(0),
        "an untouched copy checks clean with --key: {err}"
    );
    let wang = files
        .iter()
        .find(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("\"trainee\":\"小王\"")
        })
        .unwrap();
    let edited = copy.join(wang.file_name().unwrap());
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(
        &edited,
        text.replace("\"trainee\":\"小王\"", "\"trainee\":\"小李\""),
    )
    .unwrap();
    let other = files.iter().find(|f| *f != wang).unwrap();
    let renamed = copy.join("renamed.jsonl");
    std::fs::rename(copy.join(other.file_name().unwrap()), &renamed).unwrap();
    let sig = peilian::transcript::seal::sig_path(&copy.join(other.file_name().unwrap()));
    std::fs::rename(sig, peilian::transcript::seal::sig_path(&renamed)).unwrap();

    let (code, err) = assess(&copy, &with_key);
    assert_eq!(code, Some(1), "{err}");
    for f in [&edited, &renamed] {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            err.lines()
                .any(|l| l.contains("签名不符") && l.contains(&name)),
            "{name} is named: {err}"
        );
    }
}

/// A page closed while the model is still streaming the customer's words: the server
/// lets the model finish, keeps the whole line in the transcript, and serves on.
#[test]
fn a_client_leaving_while_the_model_streams_loses_nothing() {
    use crate::llm_support::{Server as Llm, ms, sse_reply};
    use std::io::Read as _;
    let mut slow = sse_reply(&["嗯,", "你接着说,", "我听着。"]);
    // After the first word, the model takes its time.
    slow.insert(3, ms(800));
    let opening = sse_reply(&["喂,", "你们到底管不管?"]);
    let llm = Llm::start(vec![opening, slow]);
    let d = Dir::new();
    let url = llm.url();
    let server = Server::start(
        &d,
        &["--backend", "llm", "--base-url", &url, "--model", "m"],
    );
    let t = Trainee::login(&server, "小王", None);
    let id = t.start_id("emotional", "practice");
    let mut r = t.post(
        &format!("/api/sessions/{id}/turn"),
        &json!({"text": "您好，您别急，慢慢说。"}),
    );
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("event: token") {
        let n = r.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended before the first word");
        seen.extend_from_slice(&buf[..n]);
    }
    drop(r); // the page goes away mid-line
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let view = Trainee::ok(t.get(&format!("/api/sessions/{id}")));
        if view["turn"] == 1 {
            break view;
        }
        assert!(Instant::now() < deadline, "the turn was not kept");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(view["lines"][2]["text"], "嗯,你接着说,我听着。");
    let recs = records(&server.transcripts()[0]);
    assert_eq!(recs[1]["customer"], "嗯,你接着说,我听着。");
    assert_eq!(
        Trainee::ok(Trainee::new(&server).get("/api/status"))["name"],
        Value::Null
    );
}

/// A model server that is down: the built-in customer answers, and the page is told
/// so, as the terminal is.
#[test]
fn a_model_server_that_is_down_is_said_on_the_page() {
    let d = Dir::new();
    let url = format!("http://127.0.0.1:{}/v1", crate::llm_support::closed_port());
    let server = Server::start(
        &d,
        &[
            "--backend",
            "llm",
            "--base-url",
            &url,
            "--model",
            "m",
            "--connect-timeout",
            "1",
        ],
    );
    let t = Trainee::login(&server, "小王", None);
    let id = t.start_id("emotional", "practice");
    let events = t.say(&id, "您好，您别急，慢慢说。");
    let done = event(&events, "done").unwrap();
    assert!(!done["customer"].as_str().unwrap().is_empty());
    let note = done["note"].as_str().expect("the fallback is said");
    assert!(note.contains("内置客户的台词"), "{note}");
    let recs = records(&server.transcripts()[0]);
    assert_eq!(recs[1]["voice"]["source"], "fallback");
}
