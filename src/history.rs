//! Practice history: the sessions recorded in a sessions directory, each scored with the
//! rubric and personas in force, and how the scores move over time.
//!
//! Sessions are found by reading transcript headers, never by file name, so a renamed
//! or copied transcript still counts. One bad file never spoils the listing: it becomes
//! a [`Skipped`] naming the file (and line) and why. This module prints nothing; the
//! `history` command renders what it returns.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::assess::score_transcript;
use crate::engine::Outcome;
use crate::persona::Catalog;
use crate::rubric::Analyser;
use crate::transcript::{self, Ending, Mode};

/// The most sessions in one window of the trend: the latest five against the five
/// before them. Fewer sessions make smaller windows (two sessions: the last against
/// the first), so a trainee sees a direction from the second session on.
pub const WINDOW: usize = 5;

/// A change of less than this many points is shown as level, not as a rise or fall:
/// scores carry one decimal and a trainee should not read meaning into noise.
pub const LEVEL_BAND: f64 = 1.0;

/// One recorded session, scored.
#[derive(Debug, Clone, Serialize)]
pub struct PastSession {
    /// The transcript, as found in the directory.
    pub file: String,
    /// When the session started: RFC 3339 in UTC, as the transcript header says.
    pub started_at: String,
    #[serde(skip)]
    started: Option<jiff::Timestamp>,
    pub trainee: String,
    pub persona: Named,
    pub scenario: Named,
    /// `easy`, `normal` or `hard`.
    pub difficulty: String,
    /// `resolved`, `walked_out`, `out_of_turns` or `unfinished`.
    pub outcome: String,
    /// The transcript has no end line: the session was cut off (the program killed,
    /// the terminal closed) rather than finished.
    pub interrupted: bool,
    /// The trainee ended it with `/restart` to begin again.
    pub restarted: bool,
    /// Neither interrupted nor restarted: only finished sessions count in the trend.
    pub finished: bool,
    /// `practice` or `exam` (`practice` when the transcript does not say).
    pub mode: String,
    /// Lines taken back with `/undo`, and how many held a 禁语.
    pub undos: usize,
    pub undone_forbidden: usize,
    /// How many attempts given up just before this one (see [`retries`]).
    pub retries: usize,
    #[serde(skip)]
    says_retry: bool,
    pub turns: u32,
    pub total: f64,
    pub grade: String,
    /// The grade the score earned when a gate capped it.
    pub capped_from: Option<String>,
    /// Why it was capped (说了禁语, 客户没有接受方案, 不足 3 轮).
    pub cap_reason: Option<String>,
}

impl PastSession {
    /// `YYYY-MM-DD HH:MM` in the trainee's time zone (`TZ`, else the system's; see
    /// [`zone_label`]), or the header's text if it is not a time. Transcripts keep UTC;
    /// a trainee in Beijing who practised at 11:00 must not read 03:00.
    pub fn date(&self) -> String {
        match self.started {
            Some(t) => t
                .to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            None => self.started_at.clone(),
        }
    }
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM` in the local zone (see [`PastSession::date`]),
/// or the text itself if it is not a time.
pub fn local_time(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// One session as retries are counted: whose, which customer, which mode, when, and
/// whether it was given up or says itself it is another attempt.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub trainee: &'a str,
    pub persona: &'a str,
    pub scenario: &'a str,
    pub mode: Mode,
    /// RFC 3339; sessions are ordered by it.
    pub started_at: &'a str,
    /// Ended with `/restart`, or cut off without an end line.
    pub abandoned: bool,
    /// The transcript says it is another attempt (`/restart`, `practice --retry`).
    pub says_retry: bool,
}

/// How many times each session is a retry. A retry is a session by the same trainee
/// on the same customer type and scenario, in the same mode, that follows attempts
/// given up (ended with `/restart`, or cut off without an end line): its count is
/// the number of those given-up attempts just before it, in order of start time. A
/// session whose transcript says it is another attempt counts at least one, even when
/// the attempt before it is not among `sessions`. A finished session closes the chain:
/// practising a scenario again after finishing it is practice, not a retry.
pub fn retries<'a>(sessions: &[Attempt<'a>]) -> Vec<usize> {
    fn key<'a>(a: &Attempt<'a>) -> (&'a str, &'a str, &'a str, &'static str) {
        (a.trainee.trim(), a.persona, a.scenario, a.mode.as_str())
    }
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    // Within one second, a session that says it is another attempt came after one that
    // does not (a `/restart` begins its new file in the second the old one ended).
    let at = |i: usize| {
        (
            key(&sessions[i]),
            sessions[i].started_at,
            sessions[i].says_retry,
        )
    };
    order.sort_by(|&a, &b| at(a).cmp(&at(b)).then(a.cmp(&b)));
    let mut out = vec![0; sessions.len()];
    let mut given_up = 0usize;
    let mut last: Option<usize> = None;
    for i in order {
        if last.is_none_or(|l| key(&sessions[l]) != key(&sessions[i])) {
            given_up = 0;
        }
        last = Some(i);
        let s = &sessions[i];
        out[i] = given_up.max(usize::from(s.says_retry));
        given_up = if s.abandoned { out[i] + 1 } else { 0 };
    }
    out
}

/// The zone [`PastSession::date`] shows times in, as `UTC` or `UTC+8` (its offset now).
pub fn zone_label() -> String {
    let offset = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .offset()
        .seconds();
    let (sign, abs) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    match (abs / 3600, abs % 3600 / 60) {
        (0, 0) => "UTC".to_string(),
        (h, 0) => format!("UTC{sign}{h}"),
        (h, m) => format!("UTC{sign}{h}:{m:02}"),
    }
}

/// An id with the name a trainee reads (persona `emotional` is 感情用事者).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A file that could not be listed, and why (the reason names the file and, for a
/// malformed transcript, the line).
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// What a sessions directory holds for one trainee (or everyone).
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Oldest first.
    pub sessions: Vec<PastSession>,
    /// In file-name order.
    pub skipped: Vec<Skipped>,
    /// Sessions left out because another trainee recorded them.
    pub other_trainees: usize,
}

/// Read and score every transcript (`*.jsonl`) directly in `dir`, keeping those of
/// `trainee` (every trainee's when `None`). Only a directory that cannot be listed is
/// an error; files are scored in parallel, results come out in time order whatever
/// thread finished first.
pub fn load(
    dir: &Path,
    trainee: Option<&str>,
    catalog: &Catalog,
    analyser: &Analyser,
) -> std::io::Result<History> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let found: Vec<Found> = files
        .par_iter()
        .map(|f| examine(f, trainee, catalog, analyser))
        .collect();
    let mut h = History::default();
    for f in found {
        match f {
            Found::PastSession(s) => h.sessions.push(*s),
            Found::OtherTrainee => h.other_trainees += 1,
            Found::Skipped(s) => h.skipped.push(s),
        }
    }
    // Sessions started in the same second keep the order their files were created in:
    // `x.jsonl` before `x-2.jsonl` (a plain file-name sort puts `-` before `.`).
    h.sessions.sort_by(|a, b| {
        let stem = |s: &PastSession| s.file.trim_end_matches(".jsonl").to_string();
        a.started
            .cmp(&b.started)
            .then_with(|| stem(a).cmp(&stem(b)))
    });
    let counts = retries(
        &h.sessions
            .iter()
            .map(|s| Attempt {
                trainee: &s.trainee,
                persona: &s.persona.id,
                scenario: &s.scenario.id,
                mode: if s.mode == Mode::Exam.as_str() {
                    Mode::Exam
                } else {
                    Mode::Practice
                },
                started_at: &s.started_at,
                abandoned: !s.finished,
                says_retry: s.says_retry,
            })
            .collect::<Vec<_>>(),
    );
    for (s, n) in h.sessions.iter_mut().zip(counts) {
        s.retries = n;
    }
    Ok(h)
}

enum Found {
    PastSession(Box<PastSession>),
    OtherTrainee,
    Skipped(Skipped),
}

/// One file: read the header first, so another trainee's sessions are not scored.
fn examine(path: &Path, trainee: Option<&str>, catalog: &Catalog, analyser: &Analyser) -> Found {
    let file = path.display().to_string();
    let skipped = |reason: String| {
        Found::Skipped(Skipped {
            file: file.clone(),
            reason,
        })
    };
    let t = match transcript::read(path) {
        Ok(t) => t,
        Err(e) => return skipped(e.to_string()),
    };
    if let Some(name) = trainee
        && t.header.trainee.trim() != name.trim()
    {
        return Found::OtherTrainee;
    }
    let card = match score_transcript(&t, path, catalog, analyser) {
        Ok(c) => c,
        Err(e) => return skipped(format!("{e:#}")),
    };
    // Scoring found both, so the lookups cannot fail; names are today's, like the score.
    let (persona, scenario) = match catalog.resolve(&t.header.persona.id, Some(&t.header.scenario))
    {
        Ok((e, s)) => (e.persona.name.as_str(), s.title.as_str()),
        Err(_) => (t.header.persona.name.as_str(), t.header.scenario.as_str()),
    };
    Found::PastSession(Box::new(PastSession {
        file: file.clone(),
        started: t.header.started_at.parse::<jiff::Timestamp>().ok(),
        started_at: t.header.started_at.clone(),
        trainee: t.header.trainee.clone(),
        persona: Named {
            id: t.header.persona.id.clone(),
            name: persona.to_string(),
        },
        scenario: Named {
            id: t.header.scenario.clone(),
            name: scenario.to_string(),
        },
        difficulty: t.header.difficulty.clone(),
        outcome: card.outcome,
        interrupted: t.end.is_none(),
        restarted: card.conduct.restarted,
        finished: t.finished(),
        mode: t.header.mode().as_str().to_string(),
        undos: card.conduct.undos.len(),
        undone_forbidden: card.conduct.undone_forbidden,
        retries: 0,
        says_retry: card.conduct.attempt_of.is_some(),
        turns: card.turns,
        total: card.total,
        grade: card.grade,
        capped_from: card.capped_from,
        cap_reason: card.cap_reason,
    }))
}

/// How the scores move: overall, and per customer type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Finished sessions, the only ones the trend counts.
    pub sessions: usize,
    /// Sessions left out of it: given up (`/restart`, cut off).
    pub abandoned: usize,
    pub average: f64,
    pub resolved: usize,
    /// Index into the sessions of the best score (the latest, if tied).
    #[serde(skip)]
    pub best: usize,
    pub best_score: f64,
    /// The transcript of the best score.
    pub best_file: String,
    /// The latest sessions against those just before them.
    pub change: Option<Change>,
    pub by_persona: Vec<PersonaTrend>,
}

/// The latest window's average against the one before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// Sessions in each window.
    pub window: usize,
    pub recent: f64,
    pub previous: f64,
    /// `recent - previous`.
    pub delta: f64,
    pub direction: Direction,
}

/// Whether a change is worth telling the trainee about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Level,
    Down,
}

/// One customer type's sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonaTrend {
    pub persona: Named,
    pub sessions: usize,
    pub average: f64,
    pub best: f64,
    pub last: f64,
    pub change: Option<Change>,
    /// Scores, oldest first.
    pub scores: Vec<f64>,
}

/// The trend of the finished sessions among `all` (in time order); `None` when none
/// finished. A session given up (`/restart`, cut off) would drag the average down with
/// a score of a half-done conversation, so it is listed but not counted.
pub fn trend(all: &[PastSession]) -> Option<Trend> {
    let finished: Vec<usize> = (0..all.len()).filter(|&i| all[i].finished).collect();
    if finished.is_empty() {
        return None;
    }
    let sessions: Vec<&PastSession> = finished.iter().map(|&i| &all[i]).collect();
    let scores: Vec<f64> = sessions.iter().map(|s| s.total).collect();
    let best = (0..scores.len())
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .expect("not empty");
    let mut by_persona: Vec<PersonaTrend> = Vec::new();
    for s in &sessions {
        match by_persona.iter_mut().find(|p| p.persona.id == s.persona.id) {
            Some(p) => p.scores.push(s.total),
            None => by_persona.push(PersonaTrend {
                persona: s.persona.clone(),
                sessions: 0,
                average: 0.0,
                best: 0.0,
                last: 0.0,
                change: None,
                scores: vec![s.total],
            }),
        }
    }
    for p in &mut by_persona {
        p.sessions = p.scores.len();
        p.average = average(&p.scores);
        p.best = p.scores.iter().copied().fold(f64::MIN, f64::max);
        p.last = *p.scores.last().expect("one score at least");
        p.change = change(&p.scores);
    }
    // Most practised first; ties in the order first practised.
    by_persona.sort_by_key(|p| std::cmp::Reverse(p.sessions));
    Some(Trend {
        sessions: scores.len(),
        abandoned: all.len() - scores.len(),
        average: average(&scores),
        resolved: sessions
            .iter()
            .filter(|s| Ending::of(&s.outcome) == Ending::Ended(Outcome::Resolved))
            .count(),
        best: finished[best],
        best_score: scores[best],
        best_file: sessions[best].file.clone(),
        change: change(&scores),
        by_persona,
    })
}

/// The latest `k` scores against the `k` before them, `k` at most [`WINDOW`] and at
/// most half the scores; `None` for fewer than two.
pub fn change(scores: &[f64]) -> Option<Change> {
    let k = WINDOW.min(scores.len() / 2);
    if k == 0 {
        return None;
    }
    let n = scores.len();
    let recent = average(&scores[n - k..]);
    let previous = average(&scores[n - 2 * k..n - k]);
    let delta = round1(recent - previous);
    let direction = if delta >= LEVEL_BAND {
        Direction::Up
    } else if delta <= -LEVEL_BAND {
        Direction::Down
    } else {
        Direction::Level
    };
    Some(Change {
        window: k,
        recent,
        previous,
        delta,
        direction,
    })
}

/// Scores as a row of bars, one per score, on the fixed 0–100 scale so that two
/// rows can be compared by eye.
pub fn sparkline(scores: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    scores
        .iter()
        .map(|s| BARS[((s.clamp(0.0, 100.0) / 100.0) * 7.0).round() as usize])
        .collect()
}

fn average(xs: &[f64]) -> f64 {
    round1(xs.iter().sum::<f64>() / xs.len() as f64)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(persona: &str, total: f64) -> PastSession {
        PastSession {
            file: String::new(),
            started_at: String::new(),
            started: None,
            trainee: String::new(),
            persona: Named {
                id: persona.into(),
                name: persona.into(),
            },
            scenario: Named {
                id: String::new(),
                name: String::new(),
            },
            difficulty: "normal".into(),
            outcome: if total >= 60.0 {
                "resolved"
            } else {
                "walked_out"
            }
            .into(),
            interrupted: false,
            restarted: false,
            finished: true,
            mode: "practice".into(),
            undos: 0,
            undone_forbidden: 0,
            retries: 0,
            says_retry: false,
            turns: 1,
            total,
            grade: String::new(),
            capped_from: None,
            cap_reason: None,
        }
    }

    #[test]
    fn windows_grow_to_five_and_compare_like_with_like() {
        assert_eq!(change(&[50.0]), None);
        let c = change(&[40.0, 70.0]).unwrap();
        assert_eq!(
            (c.window, c.previous, c.recent, c.delta),
            (1, 40.0, 70.0, 30.0)
        );
        assert_eq!(c.direction, Direction::Up);
        // Twelve scores: the last five against the five before; the oldest two drop out.
        let scores = [
            0.0, 0.0, 60.0, 60.0, 60.0, 60.0, 60.0, 80.0, 80.0, 80.0, 80.0, 81.0,
        ];
        let c = change(&scores).unwrap();
        assert_eq!((c.window, c.previous, c.recent), (5, 60.0, 80.2));
        assert_eq!(change(&[70.0, 70.5]).unwrap().direction, Direction::Level);
        assert_eq!(change(&[70.0, 60.0]).unwrap().direction, Direction::Down);
    }

    #[test]
    fn trend_groups_customer_types_most_practised_first() {
        let s = [
            session("a", 50.0),
            session("b", 90.0),
            session("b", 70.0),
            session("a", 80.0),
            session("b", 75.0),
        ];
        let t = trend(&s).unwrap();
        assert_eq!((t.sessions, t.average, t.best, t.resolved), (5, 73.0, 1, 4));
        let ids: Vec<&str> = t.by_persona.iter().map(|p| p.persona.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        let b = &t.by_persona[0];
        assert_eq!(
            (b.sessions, b.average, b.best, b.last),
            (3, 78.3, 90.0, 75.0)
        );
        assert_eq!(b.scores, [90.0, 70.0, 75.0]);
        assert!(trend(&[]).is_none());
    }

    #[test]
    fn the_trend_counts_finished_sessions_only() {
        let mut given_up = session("a", 10.0);
        given_up.finished = false;
        let s = [session("a", 50.0), given_up, session("a", 70.0)];
        let t = trend(&s).unwrap();
        assert_eq!(
            (t.sessions, t.abandoned, t.average, t.best),
            (2, 1, 60.0, 2)
        );
        assert_eq!(t.by_persona[0].scores, [50.0, 70.0]);
    }

    #[test]
    fn sparkline_uses_a_fixed_scale() {
        assert_eq!(sparkline(&[0.0, 50.0, 100.0, 120.0]), "▁▅██");
    }
}
