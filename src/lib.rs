//! peilian (陪练): a sparring partner for customer-service complaint handling.
//!
//! The library holds everything; `main.rs` only parses the command line and maps the
//! result to an exit code. Modules follow the concepts of the design: `rubric` (house
//! rules and the analyser), `persona` (difficult-customer files), `cli` (commands),
//! `ui` (terminal output), `diag` (file diagnostics), `files` (file helpers), `reading`
//! (what a trainee line does: clauses, acts, slots — see `rubrics/acts.md`).

#![forbid(unsafe_code)]

pub mod assess;
pub mod calibrate;
pub mod chatlog;
pub mod cli;
pub mod config;
pub mod diag;
pub mod engine;
pub mod files;
pub mod history;
pub mod llm;
pub mod pattern;
pub mod persona;
pub mod reading;
pub mod repl;
pub mod replay;
pub mod resolve;
pub mod rubric;
pub mod score;
pub mod script;
pub mod selfcheck;
pub mod serve;
pub mod session;
pub mod transcript;
pub mod ui;
