//! The trainee's JSON API: log in, the menus, start a session, a turn (the customer's
//! line streamed as server-sent events), undo, restart, hint, end and the scorecard.
//! Everything that plays or reads a session runs on a thread of its own, off the
//! async workers: a turn may wait seconds for a model, and resuming reads a file.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::{Json, http::HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use super::guard::{ApiError, Body, TRAINEE_COOKIE, Trainee, cookie};
use super::room::{Room, RoomError, Seat, coach_line, outcome_label};
use super::store::{lock, same_secret};
use crate::llm::ReplyEvent;
use crate::persona::Difficulty;
use crate::session::{Live, normalise_reply};
use crate::transcript::{Mode, TurnRecord};
use crate::ui;

type Api<T> = Result<T, ApiError>;

/// Run blocking work (a turn, a replay, a file read) on a thread of its own.
pub async fn off_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Api<R> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "服务器内部出错了；请刷新页面再试。",
        )
    })
}

/// The longest name a trainee may give.
const MAX_NAME_CHARS: usize = 40;

#[derive(Deserialize)]
pub struct LoginBody {
    name: String,
    #[serde(default)]
    code: Option<String>,
}

/// What the page needs before anything else: whether a code is asked for, and who is
/// logged in on this browser.
pub async fn status(State(app): State<Arc<App>>, who: Option<Trainee>) -> Json<Value> {
    Json(json!({
        "access_code": app.access_code.is_some(),
        "name": who.map(|t| t.name),
    }))
}

/// Log in: a name (and the access code where one is set) for a token, also set as a
/// cookie for the page.
pub async fn login(State(app): State<Arc<App>>, Body(b): Body<LoginBody>) -> Api<Response> {
    if let Some(code) = &app.access_code
        && !b
            .code
            .as_deref()
            .is_some_and(|c| same_secret(c.trim(), code))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "访问码不对；请向培训师要这间教室的访问码。",
        ));
    }
    let name = ui::sanitize(b.name.trim()).into_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("请输入你的名字（1 到 {MAX_NAME_CHARS} 个字）。"),
        ));
    }
    let token = app.room.store.new_trainee(&name).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("无法记下学员：{e}"),
        )
    })?;
    let mut r = Json(json!({ "token": token, "name": name })).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie(TRAINEE_COOKIE, &token)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The menus: customer types with their scenarios, and the difficulties.
pub async fn menu(State(app): State<Arc<App>>, _t: Trainee) -> Json<Value> {
    let personas: Vec<Value> = app
        .room
        .catalog
        .entries()
        .iter()
        .map(|e| {
            let p = &e.persona;
            let scenarios: Vec<Value> = p
                .scenarios
                .iter()
                .map(|s| json!({"id": s.id, "title": ui::sanitize(&s.title), "industry": ui::sanitize(&s.industry)}))
                .collect();
            json!({"id": p.id, "name": ui::sanitize(&p.name), "summary": ui::sanitize(&p.summary), "scenarios": scenarios})
        })
        .collect();
    let levels: Vec<Value> = Difficulty::ALL
        .iter()
        .map(|d| json!({"id": d.as_str(), "label": d.label()}))
        .collect();
    Json(json!({ "personas": personas, "difficulties": levels }))
}

/// The trainee's sessions, oldest first, and the newest one not yet ended: the page
/// goes back to it when reloaded.
pub async fn mine(State(app): State<Arc<App>>, t: Trainee) -> Api<Json<Value>> {
    off_thread(move || {
        let mut list = Vec::new();
        let mut current = None;
        for (id, path) in app.room.sessions_of(&t.key) {
            let Ok(tr) = crate::transcript::read(&path) else {
                continue;
            };
            if tr.end.is_none() {
                current = Some(id.clone());
            }
            list.push(json!({
                "id": id,
                "started_at": tr.header.started_at,
                "persona": ui::sanitize(&tr.header.persona.name),
                "mode": tr.header.mode().label(),
                "ended": tr.end.as_ref().map(|e| outcome_label(&e.outcome)),
            }));
        }
        Json(json!({ "name": t.name, "sessions": list, "current": current }))
    })
    .await
}

#[derive(Deserialize)]
pub struct StartBody {
    persona: String,
    scenario: String,
    difficulty: String,
    #[serde(default)]
    mode: Option<String>,
}

/// Start a session; the customer's opening line is in the view.
pub async fn start(
    State(app): State<Arc<App>>,
    t: Trainee,
    Body(b): Body<StartBody>,
) -> Api<Json<Value>> {
    let mode = match b.mode.as_deref() {
        None | Some("practice") => Mode::Practice,
        Some("exam") => Mode::Exam,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "mode 只能是 practice（练习）或 exam（考试）。",
            ));
        }
    };
    off_thread(move || {
        let room = &app.room;
        let customer = room.customer(&b.persona, &b.scenario, &b.difficulty)?;
        let seat = Live::quiet(|live| room.start(&t.key, &t.name, customer, mode, None, live))?;
        let view = lock(&seat).view();
        Ok(Json(json!(view)))
    })
    .await?
}

/// A session of this trainee, locked, on the calling (blocking) thread.
fn with_seat<R>(
    room: &Room,
    t: &Trainee,
    id: &str,
    f: impl FnOnce(&mut Seat) -> Result<R, RoomError>,
) -> Result<R, RoomError> {
    let seat = room.find(&t.key, id)?;
    let mut seat = lock(&seat);
    f(&mut seat)
}

/// Run `f` on a session of this trainee, off the async threads.
async fn on_seat<R: Send + 'static>(
    app: Arc<App>,
    t: Trainee,
    id: String,
    f: impl FnOnce(&mut Seat) -> Result<R, RoomError> + Send + 'static,
) -> Api<R> {
    Ok(off_thread(move || with_seat(&app.room, &t, &id, f)).await??)
}

/// The session as the page shows it (a reload comes back here).
pub async fn show(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
) -> Api<Json<Value>> {
    on_seat(app, t, id, |s| Ok(Json(json!(s.view())))).await
}

/// Take back the last turn (practice only).
pub async fn undo(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
) -> Api<Json<Value>> {
    on_seat(app, t, id, |s| {
        s.check_open("收回", false)?;
        let undone = s.session.undo();
        s.seal();
        match undone {
            Ok(Some(_)) => Ok(Json(json!(s.view()))),
            Ok(None) => Err(RoomError::Refused("还没有可以收回的话。".into())),
            Err(e) => Err(RoomError::Failed(format!("写对话记录失败：{e}"))),
        }
    })
    .await
}

/// `/hint`: the customer type's traits and advice (practice only).
pub async fn hint(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
) -> Api<Json<Value>> {
    on_seat(app, t, id, |s| {
        s.check_open("看提示", false)?;
        let hint = crate::repl::view::hint(s.customer.engine);
        Ok(Json(json!({ "hint": hint })))
    })
    .await
}

/// Start over with the same customer: this session ends as restarted, a new one
/// begins (as `/restart` does).
pub async fn restart(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
) -> Api<Json<Value>> {
    off_thread(move || {
        let room = &app.room;
        let (customer, mode, again) = with_seat(room, &t, &id, |s| {
            s.check_open("重来", true)?;
            let finished = s.session.finish_restarted();
            s.seal();
            finished.map_err(|e| RoomError::Failed(format!("写对话记录失败：{e}")))?;
            s.closed = true;
            let mode = s.session.header().mode();
            Ok((s.customer, mode, s.session.restart_options()))
        })?;
        let seat =
            Live::quiet(|live| room.start(&t.key, &t.name, customer, mode, Some(again), live))?;
        let view = lock(&seat).view();
        Ok(Json(json!(view)))
    })
    .await?
    .map_err(|e: RoomError| e.into())
}

/// End and score: an unfinished session gets its end line (as Ctrl-D in the REPL),
/// the HTML scorecard is written beside the transcript, and its address returned.
pub async fn end(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
) -> Api<Json<Value>> {
    on_seat(app, t, id, |s| {
        if !s.closed {
            let finished = s.session.finish_unfinished("学员结束了练习");
            s.seal();
            finished.map_err(|e| RoomError::Failed(format!("写对话记录失败：{e}")))?;
            s.closed = true;
        }
        let html = s.card_html();
        if let Some(path) = s.session.transcript_path() {
            // The same report the REPL leaves beside the transcript.
            let _ = crate::files::write_atomic(&path.with_extension("html"), html.as_bytes());
        }
        let card = s.session.scorecard(&s.customer.entry.source, "");
        Ok(Json(json!({
            "total": (card.total * 10.0).round() / 10.0,
            "grade": card.grade,
            "card": format!("/api/sessions/{}/card", s.id),
            "view": s.view(),
        })))
    })
    .await
}

/// The scorecard page, scored as the session stands.
pub async fn card(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
) -> Api<Response> {
    let html = off_thread(move || with_seat(&app.room, &t, &id, |s| Ok(s.card_html()))).await??;
    Ok(scorecard_page(html))
}

/// A scorecard page, allowed to show its own styles and nothing else.
pub fn scorecard_page(html: String) -> Response {
    let mut r = Html(html).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    );
    r
}

#[derive(Deserialize)]
pub struct TurnBody {
    text: String,
}

/// One reply. The customer's line comes back as server-sent events: `note` (the reply
/// was cut), `decided` (the coach line and mood, before the customer speaks), `token`
/// (the model's words as they arrive), `retry` and `discard` (the model's attempts),
/// then `done` with the whole line, or `error`. The turn is played on a thread of its
/// own to the end and written to the transcript whether or not the page is still
/// listening: a closed tab loses nothing said.
pub async fn turn(
    State(app): State<Arc<App>>,
    t: Trainee,
    Path(id): Path<String>,
    Body(b): Body<TurnBody>,
) -> Api<Response> {
    let reply = normalise_reply(&b.text);
    if reply.text.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "请先输入要对客户说的话。",
        ));
    }
    let room = Arc::clone(&app);
    let seat = off_thread(move || {
        let seat = room.room.find(&t.key, &id)?;
        playable(&lock(&seat))?;
        Ok::<_, RoomError>(seat)
    })
    .await??;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    if let Some(n) = reply.cut_from {
        let note = format!(
            "这句话有 {n} 个字，只取前 {} 个。",
            crate::session::MAX_TURN_CHARS
        );
        send(&tx, "note", json!({ "text": note }));
    }
    std::thread::spawn(move || play(&seat, &reply.text, &tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Whether the session can take another reply.
fn playable(s: &Seat) -> Result<(), RoomError> {
    s.check_open("说话", true)?;
    if let Some(o) = s.session.outcome() {
        return Err(RoomError::Refused(format!(
            "客户已经结束了对话（{}）；可以收回最后一句，或结束并查看评分。",
            o.label()
        )));
    }
    Ok(())
}

fn send(tx: &tokio::sync::mpsc::UnboundedSender<Event>, name: &str, data: Value) {
    // A page that stopped listening is no reason to stop the turn.
    let _ = tx.send(Event::default().event(name).data(data.to_string()));
}

/// Play one reply on this thread, telling the page as it goes.
fn play(seat: &Mutex<Seat>, text: &str, tx: &tokio::sync::mpsc::UnboundedSender<Event>) {
    let mut guard = lock(seat);
    let s: &mut Seat = &mut guard;
    if let Err(e) = playable(s) {
        send(tx, "error", json!({ "error": e.to_string() }));
        return;
    }
    let exam = s.exam();
    let customer = s.customer;
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut on_decided = |r: &TurnRecord, earlier: &[TurnRecord]| {
        let coach = coach_line(customer, exam, earlier, r);
        let anger = (!exam).then_some(r.anger);
        send(tx, "decided", json!({ "coach": coach, "anger": anger }));
    };
    let mut on_event = |ev: ReplyEvent<'_>| match ev {
        ReplyEvent::Token(t) => send(tx, "token", json!({ "text": ui::sanitize(t) })),
        ReplyEvent::Retrying {
            attempt, of, error, ..
        } => {
            let note = format!("{error}；重试 {attempt}/{of}");
            send(tx, "retry", json!({ "text": ui::sanitize(&note) }));
        }
        ReplyEvent::Discarded { why } => send(tx, "discard", json!({ "text": ui::sanitize(why) })),
    };
    let mut live = Live {
        on_decided: &mut on_decided,
        on_event: &mut on_event,
        cancel: &cancel,
    };
    let said = s.session.say_live(text, &mut live).map(|_| ());
    s.seal();
    send(tx, "done", done(s, exam, said.err()));
}

/// The `done` event: the customer's whole line, the mood outside an exam, the ending.
fn done(s: &Seat, exam: bool, failed: Option<std::io::Error>) -> Value {
    let session = &s.session;
    let last = session.turns().last();
    let mut done = json!({
        "customer": last.map(|t| ui::sanitize(&t.customer).into_owned()),
        "turn": session.state().turn,
        "anger": (!exam).then(|| session.state().anger_i()),
        "ended": session.end().map(|e| json!({
            "outcome": outcome_label(&e.outcome),
            "reason": ui::sanitize(&e.reason),
        })),
    });
    // As the REPL says it: the built-in customer's words stood in for the model's.
    if let Some(note) = last
        .and_then(|t| t.voice.as_ref())
        .and_then(crate::repl::view::fallback_note)
    {
        done["note"] = json!(note);
    }
    if let Some(e) = failed {
        done["error"] = json!(format!("写对话记录失败：{e}。这句话还在服务器内存里。"));
    }
    done
}
