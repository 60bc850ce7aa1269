//! A customer line while it is being voiced: the name, then the words as they arrive
//! (a model's tokens), dim notes for retries and withdrawn attempts, and one line saying
//! why when the built-in customer's words had to be used instead.
//!
//! While a model is generating, the terminal is not in the line editor's raw mode, so
//! Ctrl-C arrives as SIGINT: during a generation it cancels it (the offline line is
//! used) instead of ending the program; at any other time SIGINT does what it always
//! does. The handlers are registered once per process: signal-hook's documentation says
//! unregistering a handler leaves the signal ignored, so registering per line made
//! Ctrl-C dead after the first model-voiced line.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::llm::ReplyEvent;
use crate::session::Live;
use crate::transcript::{TurnRecord, VoiceMark};
use crate::ui::{self, Style};
use crate::ui::{out, outln};

use super::view;

/// What has been shown of a customer line so far.
pub struct Shown {
    style: Style,
    head: String,
    /// The customer's name has been printed on the current line.
    started: bool,
    /// A withdrawn attempt was explained already.
    noted: bool,
}

/// The process's SIGINT handlers: `cancel` is set by every SIGINT; while `idle` is
/// true the signal's default action (end the program) runs too.
struct Hooks {
    cancel: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
}

fn hooks() -> Option<&'static Hooks> {
    static HOOKS: OnceLock<Option<Hooks>> = OnceLock::new();
    HOOKS
        .get_or_init(|| {
            let idle = Arc::new(AtomicBool::new(true));
            let cancel = Arc::new(AtomicBool::new(false));
            let sig = signal_hook::consts::SIGINT;
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&idle)).ok()?;
            signal_hook::flag::register(sig, Arc::clone(&cancel)).ok()?;
            Some(Hooks { cancel, idle })
        })
        .as_ref()
}

/// Voice one customer line through `f`, showing it as it comes. `on_decided` sees the
/// turn before the customer speaks (the coach line).
pub fn speak<R>(
    llm: bool,
    style: &Style,
    name: &str,
    on_decided: &mut dyn FnMut(&TurnRecord, &[TurnRecord]),
    f: impl FnOnce(&mut Live<'_>) -> R,
) -> (R, Shown) {
    let local = AtomicBool::new(false);
    let hook = if llm { hooks() } else { None };
    if let Some(h) = hook {
        h.cancel.store(false, Ordering::SeqCst);
        h.idle.store(false, Ordering::SeqCst);
    }
    let cancel: &AtomicBool = hook.map_or(&local, |h| &h.cancel);
    let mut shown = Shown {
        style: *style,
        head: style.bold(&format!("{}：", ui::sanitize(name))),
        started: false,
        noted: false,
    };
    let mut on_event = |ev: ReplyEvent<'_>| shown.event(ev);
    let r = f(&mut Live {
        on_decided,
        on_event: &mut on_event,
        cancel,
    });
    if let Some(h) = hook {
        h.idle.store(true, Ordering::SeqCst);
    }
    (r, shown)
}

impl Shown {
    fn event(&mut self, ev: ReplyEvent<'_>) {
        let mut out = std::io::stdout().lock();
        match ev {
            ReplyEvent::Token(t) => {
                if !self.started {
                    let _ = write!(out, "{}", self.head);
                    self.started = true;
                }
                let _ = write!(out, "{t}");
            }
            // Retries happen before any word is shown: a line of their own.
            ReplyEvent::Retrying {
                attempt,
                of,
                wait,
                error,
            } => {
                let note = format!(
                    "〔{error}；{:.1} 秒后重试 {attempt}/{of}〕",
                    wait.as_secs_f64()
                );
                let _ = writeln!(out, "  {}", self.style.dim(&note));
            }
            ReplyEvent::Discarded { why } => {
                if self.started {
                    let _ = writeln!(out);
                }
                let _ = writeln!(out, "  {}", self.style.dim(&format!("〔{why}〕")));
                self.started = false;
                self.noted = true;
            }
        }
        let _ = out.flush();
    }

    /// End the line: why the built-in words are used (if that was not said yet, and
    /// not while the breaker keeps the server paused: the line that paused it said so),
    /// the words unless they were streamed, and the mood bar outside an exam.
    pub fn finish(mut self, voice: Option<&VoiceMark>, text: Option<&str>, anger: Option<i32>) {
        if let Some(note) = voice.and_then(view::fallback_note)
            && !self.noted
        {
            if self.started {
                outln!();
                self.started = false;
            }
            outln!("  {}", self.style.dim(&note));
        }
        if !self.started {
            out!("{}", self.head);
        }
        outln!("{}", text.map(ui::sanitize).unwrap_or_default());
        if let Some(a) = anger {
            outln!("  {}", self.style.dim(&view::mood_bar(&self.style, a)));
        }
    }
}
