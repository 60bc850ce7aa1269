//! The practice page in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) plays a whole session as a trainee would — types Chinese, sees the
//! customer and the coach answer, composes with an input method, ends — and the
//! scorecard it shows is screenshotted and checked for its mood curve. Skipped, with a
//! message, where Chromium or chromedriver is missing (`.ci/run` installs both).

use crate::common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Dir;
use common::browser::{chromedriver, chromium, drawn, pixels};
use common::web::{Server, TRAINER_CODE, good_lines, records};
use fantoccini::{Client, ClientBuilder, Locator};
use peilian::score::html::CURVE_RGB;
use serde_json::{Value, json};

/// WebDriver's Enter, Shift and "release the modifiers" keys.
const ENTER: &str = "\u{E007}";
const SHIFT: &str = "\u{E008}";
const RELEASE: &str = "\u{E000}";

/// chromedriver on a free loopback port. When dropped, the browser sessions it
/// opened are closed first (a test that failed midway never closed its own, and
/// killing chromedriver leaves its Chromium running), then it is killed.
struct Driver {
    child: Child,
    url: String,
    sessions: std::sync::Mutex<Vec<String>>,
}

impl Driver {
    fn start(program: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            sessions: std::sync::Mutex::default(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Without a TLS provider chosen, building the client panics, which in a drop
        // during a failed test's unwinding would abort the whole test binary.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(20))
            .build();
        let sessions =
            std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|e| e.into_inner()));
        if let Ok(http) = http {
            for id in sessions {
                // Already closed by a test that finished: chromedriver says so, fine.
                let _ = http.delete(format!("{}/session/{id}", self.url)).send();
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session with headless Chromium, retried while chromedriver starts.
async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-sync",
                "--hide-scrollbars", "--window-size=1200,1600", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps: serde_json::Map<String, Value> = serde_json::from_value(caps).unwrap();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(c) => {
                if let Ok(Some(id)) = c.session_id().await {
                    driver.sessions.lock().unwrap().push(id);
                }
                return c;
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session within 60 s: {e}"),
        }
    }
}

/// Evaluate a JavaScript expression in the page.
async fn js(c: &Client, expr: &str) -> Value {
    c.execute(&format!("return ({expr});"), vec![])
        .await
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

/// Wait (at most 30 s) until `expr` is true in the page.
async fn until(c: &Client, expr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while js(c, expr).await != json!(true) {
        assert!(
            Instant::now() < deadline,
            "waited 30 s for {expr}; page text: {}",
            js(c, "document.body.innerText").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lines in the dialogue so far, by who said them.
async fn count(c: &Client, class: &str) -> u64 {
    js(
        c,
        &format!("document.querySelectorAll('#log .{class}').length"),
    )
    .await
    .as_u64()
    .unwrap()
}

/// Type a reply with the keyboard and press Enter; wait for the customer's answer.
async fn say(c: &Client, text: &str) {
    let before = count(c, "line.customer").await;
    let reply = c.find(Locator::Id("reply")).await.unwrap();
    reply.send_keys(&format!("{text}{ENTER}")).await.unwrap();
    let answered = format!("document.querySelectorAll('#log .line.customer').length > {before}");
    until(c, &format!("{answered} && !state.busy")).await;
}

/// Input-method composition: Enter while composing picks characters and must not
/// send; after `compositionend`, Enter sends.
async fn compose(c: &Client, text: &str) {
    let trainee = count(c, "line.trainee").await;
    let start = format!(
        "(() => {{ const r = document.getElementById('reply'); r.focus(); r.value = {};
           r.dispatchEvent(new CompositionEvent('compositionstart', {{ data: '' }}));
           r.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', code: 'Enter', keyCode: 229,
             isComposing: true, bubbles: true, cancelable: true }}));
           return true; }})()",
        json!(text)
    );
    js(c, &start).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        count(c, "line.trainee").await,
        trainee,
        "Enter while composing sent the reply"
    );
    assert_eq!(
        js(c, "document.getElementById('reply').value").await,
        json!(text)
    );
    js(
        c,
        "(() => { const r = document.getElementById('reply');
           r.dispatchEvent(new CompositionEvent('compositionend', { data: '' }));
           r.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter',
             bubbles: true, cancelable: true }));
           return true; })()",
    )
    .await;
    until(
        c,
        &format!("document.querySelectorAll('#log .line.trainee').length > {trainee}"),
    )
    .await;
}

/// What a browser test needs: a server, chromedriver, Chromium and a runtime; `None`
/// (said on stderr) where Chromium or chromedriver is missing.
struct Rig {
    d: Dir,
    server: Server,
    driver: Driver,
    chromium: std::path::PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Rig {
    fn new() -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) = (chromium(), chromedriver()) else {
            eprintln!(
                "skipped: chromium or chromedriver is not installed (.ci/run installs chromium and chromium-driver)"
            );
            return None;
        };
        let d = Dir::new();
        let server = Server::start(&d, &[]);
        let driver = Driver::start(&chromedriver);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Some(Self {
            d,
            server,
            driver,
            chromium,
            rt,
        })
    }
}

#[test]
fn a_trainee_plays_a_whole_session_in_chromium() {
    let Some(rig) = Rig::new() else { return };
    let (d, server) = (&rig.d, &rig.server);
    let shot = rig
        .rt
        .block_on(play(server, &rig.driver, &rig.chromium, d.path()));
    let shots = std::env::var_os("PEILIAN_SHOTS");
    if let Some(dir) = &shots {
        // For the README's pictures: `PEILIAN_SHOTS=docs cargo test … serve_browser`.
        for (from, to) in [
            (shot.clone(), "serve-scorecard.png"),
            (d.path().join("talk.png"), "serve-page.png"),
            (d.path().join("trainer.png"), "serve-trainer.png"),
        ] {
            std::fs::copy(from, Path::new(dir).join(to)).unwrap();
        }
    }

    let (other, curve) = drawn(&pixels(&shot), CURVE_RGB);
    eprintln!("page screenshot: {other} pixels differ from the background, {curve} draw the curve");
    assert!(curve >= 200, "the mood curve is missing: {curve} pixels");

    let files = server.transcripts();
    assert_eq!(files.len(), 1);
    let recs = records(&files[0]);
    assert_eq!(recs[0]["via"], "web");
    let trainee: Vec<&str> = recs
        .iter()
        .filter(|r| r["type"] == "turn")
        .map(|r| r["trainee"].as_str().unwrap())
        .collect();
    assert!(
        trainee.contains(&"刘先生您好 请问软驱是什么时候开始读不了盘的？"),
        "two typed lines are one reply: {trainee:?}"
    );
    d.cmd().arg("score").arg(&files[0]).assert().success();
}

/// Whether an element is drawn (not `display: none`, itself or an ancestor).
async fn shown(c: &Client, id: &str) -> bool {
    js(
        c,
        &format!("document.getElementById('{id}').getClientRects().length > 0"),
    )
    .await
    .as_bool()
    .unwrap()
}

/// Log in as 小王 and start a session with the first customer, practice or exam.
async fn begin(c: &Client, server: &Server, exam: bool) {
    c.goto(&server.url).await.unwrap();
    until(c, "!document.getElementById('login').hidden").await;
    assert!(
        !shown(c, "code-row").await,
        "no access code is asked on loopback"
    );
    let name = c.find(Locator::Id("name")).await.unwrap();
    name.send_keys("小王").await.unwrap();
    c.find(Locator::Id("enter"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(c, "!document.getElementById('choose').hidden").await;
    if exam {
        let radio = c
            .find(Locator::Css("input[name=mode][value=exam]"))
            .await
            .unwrap();
        radio.click().await.unwrap();
    }
    c.find(Locator::Id("start"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(c, "!document.getElementById('talk').hidden").await;
}

/// An exam in the browser: no mood bar, no coach line, no undo or hint buttons.
#[test]
fn an_exam_in_chromium_shows_neither_mood_nor_coach() {
    let Some(rig) = Rig::new() else { return };
    let server = &rig.server;
    rig.rt.block_on(async {
        let profile = rig.d.path().join("profile");
        let c = browser(&rig.driver, &rig.chromium, &profile).await;
        begin(&c, server, true).await;
        say(&c, "您好，您别着急，有什么情况您慢慢说。").await;
        for id in ["mood", "undo", "hint"] {
            assert!(!shown(&c, id).await, "#{id} is shown in an exam");
        }
        assert_eq!(count(&c, "coach").await, 0, "a coach line in an exam");
        assert!(shown(&c, "end").await);

        // A reply the server refuses (the session was ended from another tab) is
        // taken off the dialogue and given back to the input box. (WebDriver waits
        // for the promise.)
        let end = "fetch('/api/sessions/' + state.session + '/end', { method: 'POST' }).then((r) => r.ok)";
        assert_eq!(js(&c, end).await, json!(true));
        let trainee = count(&c, "line.trainee").await;
        let reply = c.find(Locator::Id("reply")).await.unwrap();
        reply
            .send_keys(&format!("请问还有什么需要？{ENTER}"))
            .await
            .unwrap();
        until(
            &c,
            "document.getElementById('error').textContent.includes('已经结束')",
        )
        .await;
        assert_eq!(
            count(&c, "line.trainee").await,
            trainee,
            "the refused line stays shown"
        );
        let kept = js(&c, "document.getElementById('reply').value").await;
        assert_eq!(
            kept,
            json!("请问还有什么需要？"),
            "the refused line is lost"
        );
        let _ = c.close().await;
    });
    let recs = records(&server.transcripts()[0]);
    assert_eq!(recs[0]["mode"], "exam");
}

/// The whole session in the browser; the scorecard's screenshot.
async fn play(
    server: &Server,
    driver: &Driver,
    chromium: &Path,
    scratch: &Path,
) -> std::path::PathBuf {
    let c = browser(driver, chromium, &scratch.join("profile")).await;
    begin(&c, server, false).await;
    let brief = js(&c, "document.getElementById('brief').textContent").await;
    assert!(brief.as_str().unwrap().contains("目标"), "{brief}");

    let lines = good_lines();
    say(&c, &lines[0]).await;
    let coach = js(&c, "document.querySelector('#log .coach').textContent").await;
    assert!(coach.as_str().unwrap().starts_with("教练："), "{coach}");
    let mood = js(&c, "document.getElementById('mood-num').textContent").await;
    assert!(
        !mood.as_str().unwrap().is_empty(),
        "the mood bar shows a number"
    );

    // Shift+Enter is a new line, not a send; the two lines go as one reply.
    let trainee = count(&c, "line.trainee").await;
    let reply = c.find(Locator::Id("reply")).await.unwrap();
    reply
        .send_keys(&format!(
            "刘先生您好{SHIFT}{ENTER}{RELEASE}请问软驱是什么时候开始读不了盘的？"
        ))
        .await
        .unwrap();
    assert_eq!(
        count(&c, "line.trainee").await,
        trainee,
        "Shift+Enter sent the reply"
    );
    let value = js(&c, "document.getElementById('reply').value").await;
    assert!(value.as_str().unwrap().contains('\n'), "{value}");
    reply.send_keys(ENTER).await.unwrap();
    until(
        &c,
        &format!(
            "document.querySelectorAll('#log .line.customer').length > {}",
            trainee + 1
        ),
    )
    .await;

    compose(&c, &lines[1]).await;
    for line in &lines[2..4] {
        say(&c, line).await;
    }
    // The page mid-session, for the README (see PEILIAN_SHOTS).
    std::fs::write(scratch.join("talk.png"), c.screenshot().await.unwrap()).unwrap();
    for line in &lines[4..] {
        say(&c, line).await;
    }
    c.find(Locator::Id("end"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "!document.getElementById('score').hidden").await;
    let heading = js(&c, "document.getElementById('score-line').textContent").await;
    assert!(heading.as_str().unwrap().contains("分"), "{heading}");
    // The scorecard frame loads on its own: screenshot until its curve is drawn, for
    // at most 30 s.
    let shot = scratch.join("serve.png");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        std::fs::write(&shot, c.screenshot().await.unwrap()).unwrap();
        if curve_pixels(&shot) >= 200 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    trainer(&c, server, scratch).await;
    let _ = c.close().await;
    shot
}

/// The trainer's page lists the session with its score and opens the cohort report.
async fn trainer(c: &Client, server: &Server, scratch: &Path) {
    c.goto(&format!("{}/trainer", server.url)).await.unwrap();
    until(c, "!document.getElementById('login').hidden").await;
    let code = c.find(Locator::Id("code")).await.unwrap();
    code.send_keys(&format!("{TRAINER_CODE}{ENTER}"))
        .await
        .unwrap();
    until(c, "document.querySelectorAll('#rows tr').length === 1").await;
    let row = js(c, "document.querySelector('#rows tr').innerText").await;
    let row = row.as_str().unwrap();
    assert!(row.contains("小王") && row.contains("优秀"), "{row}");
    std::fs::write(scratch.join("trainer.png"), c.screenshot().await.unwrap()).unwrap();
    let href = js(c, "document.querySelector('#rows a').href").await;
    c.goto(href.as_str().unwrap()).await.unwrap();
    until(c, "document.title.includes('评分卡')").await;
    c.goto(&format!("{}/trainer/report", server.url))
        .await
        .unwrap();
    until(c, "document.body.innerText.includes('小王')").await;
}

fn curve_pixels(png: &Path) -> usize {
    pixels(png).iter().filter(|p| **p == CURVE_RGB).count()
}
