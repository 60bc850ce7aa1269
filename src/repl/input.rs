//! Where the trainee's lines come from: a line editor on a terminal (rustyline: wide
//! characters, history, tab completion of commands, bracketed paste), or plain lines
//! from a pipe so that practice can be scripted like `run`.

use std::borrow::Cow;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History as _};
use rustyline::validate::Validator;
use rustyline::{
    Cmd, ConditionalEventHandler, Context, Editor, Event, EventContext, EventHandler, KeyEvent,
    Movement, RepeatCount,
};

use super::commands;
use crate::script::{Answers, AnswersError, Utf8};

/// One thing the trainee did at the prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    Line(String),
    /// Ctrl-C on an empty line.
    Interrupted,
    /// Ctrl-D, or the end of piped input.
    Eof,
}

/// A source of trainee input.
pub trait LineSource {
    fn read(&mut self, prompt: &str) -> Input;
    /// Whether a person is typing (prompts, menus and echo depend on it).
    fn interactive(&self) -> bool;
    /// Keep a reply in the input history, if the source has one.
    fn remember(&mut self, _line: &str) {}
}

/// Completes slash commands from the command table.
struct Helper;

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = &line[..pos];
        if head.contains(char::is_whitespace) {
            return Ok((pos, Vec::new()));
        }
        let found = commands::complete(head)
            .into_iter()
            .map(|n| Pair {
                display: n.to_string(),
                replacement: n.to_string(),
            })
            .collect();
        Ok((0, found))
    }
}

impl Hinter for Helper {
    type Hint = String;
}

impl Highlighter for Helper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for Helper {}

impl rustyline::Helper for Helper {}

/// Ctrl-C clears a line that has text; on an empty line it interrupts, and the REPL
/// decides (a second one in a row leaves).
struct CtrlC;

impl ConditionalEventHandler for CtrlC {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext<'_>) -> Option<Cmd> {
        if ctx.line().is_empty() {
            Some(Cmd::Interrupt)
        } else {
            Some(Cmd::Kill(Movement::WholeLine))
        }
    }
}

/// The terminal line editor with the trainee's own history file.
pub struct Terminal {
    editor: Editor<Helper, DefaultHistory>,
    history: Option<PathBuf>,
    /// Consecutive read errors; a terminal that keeps failing is treated as closed.
    errors: u32,
}

impl Terminal {
    pub fn new(history: Option<PathBuf>) -> rustyline::Result<Self> {
        let config = rustyline::Config::builder()
            .auto_add_history(false)
            .max_history_size(2000)?
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .completion_type(rustyline::CompletionType::List)
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(Helper));
        editor.bind_sequence(
            KeyEvent::ctrl('C'),
            EventHandler::Conditional(Box::new(CtrlC)),
        );
        if let Some(p) = &history {
            // A missing or unreadable history file only means no history yet.
            let _ = editor.load_history(p);
        }
        Ok(Self {
            editor,
            history,
            errors: 0,
        })
    }
}

/// Append to the history file, created readable by its owner only: it holds what the
/// trainee typed.
fn append_history(editor: &mut Editor<Helper, DefaultHistory>, path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        // Another session of the trainee may have created it a moment ago.
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    editor
        .history_mut()
        .append(path)
        .map_err(|e| io::Error::other(e.to_string()))
}

impl LineSource for Terminal {
    fn read(&mut self, prompt: &str) -> Input {
        match self.editor.readline(prompt) {
            Ok(line) => {
                self.errors = 0;
                Input::Line(line)
            }
            Err(ReadlineError::Interrupted) => Input::Interrupted,
            Err(ReadlineError::Eof) => Input::Eof,
            Err(e) => {
                self.errors += 1;
                eprintln!("警告：读取输入出错（{e}），请重新输入");
                if self.errors >= 3 {
                    Input::Eof
                } else {
                    Input::Line(String::new())
                }
            }
        }
    }

    fn interactive(&self) -> bool {
        true
    }

    /// Keep a reply in history, on disk at once: a killed session keeps it too.
    fn remember(&mut self, line: &str) {
        if self.editor.add_history_entry(line).unwrap_or(false)
            && let Some(p) = &self.history
            && let Err(e) = append_history(&mut self.editor, p)
        {
            eprintln!("警告：无法写输入历史 {}: {e}", p.display());
            self.history = None;
        }
    }
}

/// Lines from a pipe. Invalid UTF-8 is replaced (with a warning naming the line)
/// rather than ending the session; blank lines and `#` comments are skipped as in
/// Trainee lines piped into `practice`, read as answers files are
/// ([`crate::script::Answers`]); a stray byte that is not UTF-8 is replaced with a
/// warning rather than ending a live session.
pub struct Piped<R> {
    answers: Answers<R>,
}

impl<R: BufRead> Piped<R> {
    pub fn new(reader: R) -> Self {
        Self {
            answers: Answers::new(reader, "标准输入", Utf8::Replaced),
        }
    }
}

impl<R: BufRead> LineSource for Piped<R> {
    fn read(&mut self, _prompt: &str) -> Input {
        match self.answers.next_line() {
            Ok(Some(line)) => {
                if line.replaced {
                    eprintln!(
                        "警告：标准输入第 {} 行不是有效的 UTF-8，无法识别的字节已替换",
                        line.line
                    );
                }
                Input::Line(line.text)
            }
            Ok(None) => Input::Eof,
            Err(AnswersError::Io { source, .. }) => {
                eprintln!("警告：读取标准输入出错：{source}");
                Input::Eof
            }
            // Not met: bad bytes are replaced.
            Err(e @ AnswersError::NotUtf8 { .. }) => {
                eprintln!("警告：{e}");
                Input::Eof
            }
        }
    }

    fn interactive(&self) -> bool {
        false
    }
}
