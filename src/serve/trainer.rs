//! The trainer's view: every session of the room by trainee and date with its score,
//! each scorecard, and the cohort report of `assess` for the sessions listed. Behind
//! the trainer code, which is not the trainees' access code.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use super::api::{off_thread, scorecard_page};
use super::guard::{ApiError, Body, TRAINER_COOKIE, Trainer, cookie};
use super::room::outcome_label;
use super::store::{lock, random_hex, same_secret, token_key};
use crate::score::render::Render as _;
use crate::ui;

type Api<T> = Result<T, ApiError>;

#[derive(Deserialize)]
pub struct CodeBody {
    code: String,
}

/// Log in with the trainer code: a trainer token, also set as a cookie.
pub async fn login(State(app): State<Arc<App>>, Body(b): Body<CodeBody>) -> Api<Response> {
    if !same_secret(b.code.trim(), &app.trainer_code) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "培训师码不对。"));
    }
    let token = random_hex();
    lock(&app.trainers).insert(token_key(&token));
    let mut r = Json(json!({ "token": token })).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie(TRAINER_COOKIE, &token)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Every session, by trainee and then by start time, with its score.
pub async fn sessions(State(app): State<Arc<App>>, _t: Trainer) -> Api<Json<Value>> {
    off_thread(move || {
        let room = &app.room;
        let mut rows: Vec<(String, String, Value)> = room
            .store
            .all()
            .into_iter()
            .map(|(id, name, path)| {
                let row = row(room, &id, &name, &path);
                let at = row["started_at"].as_str().unwrap_or_default().to_string();
                (name, at, row)
            })
            .collect();
        rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        Json(json!({ "sessions": rows.into_iter().map(|r| r.2).collect::<Vec<_>>() }))
    })
    .await
}

/// One row of the list: who, when, which customer, and the score; or why the
/// transcript could not be scored.
fn row(room: &super::room::Room, id: &str, name: &str, path: &std::path::Path) -> Value {
    let scored = crate::transcript::read(path)
        .map_err(anyhow::Error::from)
        .and_then(|t| {
            let card = crate::assess::score_transcript(&t, path, room.catalog, room.analyser)?;
            Ok((t, card))
        });
    match scored {
        Ok((t, card)) => {
            let h = &t.header;
            // The scenario as the trainee read it, when the persona is still installed.
            let scenario = room
                .catalog
                .find(&h.persona.id)
                .and_then(|e| e.persona.scenarios.iter().find(|s| s.id == h.scenario))
                .map_or(h.scenario.as_str(), |s| s.title.as_str());
            json!({
                "id": id,
                "trainee": ui::sanitize(name),
                "started_at": h.started_at,
                "persona": ui::sanitize(&h.persona.name),
                "scenario": ui::sanitize(scenario),
                "difficulty": crate::repl::view::level_label(&h.difficulty),
                "mode": h.mode().label(),
                "outcome": outcome_label(&card.outcome),
                "finished": t.end.is_some(),
                "total": (card.total * 10.0).round() / 10.0,
                "grade": card.grade,
            })
        }
        Err(e) => json!({
            "id": id,
            "trainee": ui::sanitize(name),
            "error": ui::sanitize(&format!("{e:#}")),
        }),
    }
}

/// One session's scorecard (`/trainer/scorecards/ID.html`, where the report links).
pub async fn card(
    State(app): State<Arc<App>>,
    _t: Trainer,
    Path(file): Path<String>,
) -> Api<Response> {
    let id = file.strip_suffix(".html").unwrap_or(&file).to_string();
    let html = off_thread(move || {
        let room = &app.room;
        let issued = room.store.session(&id)?;
        let path = room.store.dir().join(&issued.file);
        let card = crate::assess::score_file(&path, room.catalog, room.analyser).ok()?;
        Some(crate::score::html::Html.render(&card))
    })
    .await?;
    html.map(scorecard_page)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "没有这场练习。"))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    /// Session ids, comma-separated; every session when absent.
    #[serde(default)]
    ids: Option<String>,
}

/// The cohort report (`assess`'s `report.html`) of the chosen sessions.
pub async fn report(
    State(app): State<Arc<App>>,
    _t: Trainer,
    Query(q): Query<ReportQuery>,
) -> Api<Response> {
    let html = off_thread(move || {
        let room = &app.room;
        let chosen: Option<HashSet<&str>> = q.ids.as_deref().map(|s| s.split(',').collect());
        let files: Vec<(String, std::path::PathBuf)> = room
            .store
            .all()
            .into_iter()
            .filter(|(id, _, _)| chosen.as_ref().is_none_or(|c| c.contains(id.as_str())))
            .map(|(id, _, path)| (id, path))
            .collect();
        let report = crate::assess::report_of(&files, room.catalog, room.analyser);
        crate::assess::report_html(&report, "html")
    })
    .await?;
    Ok(scorecard_page(html))
}
