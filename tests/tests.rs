//! The integration tests, one binary (as ripgrep keeps them): each module drives the
//! real `peilian` binary, real files in temp dirs, real servers on 127.0.0.1 or a real
//! browser, as its own doc says. One binary links the crate once instead of once per
//! file. Run one module with `cargo test --test tests <module>::`.

/// The benchmarks' corpus of trainee lines, shared with the property tests.
#[path = "../benches/common/mod.rs"]
mod bench_common;
mod common;
mod llm_support;

#[path = "suite/analyse_props.rs"]
mod analyse_props;
#[path = "suite/analyse_table.rs"]
mod analyse_table;
#[path = "suite/assess.rs"]
mod assess;
#[path = "suite/calibrate.rs"]
mod calibrate;
#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/coach_props.rs"]
mod coach_props;
#[path = "suite/completions.rs"]
mod completions;
#[path = "suite/config.rs"]
mod config;
#[path = "suite/exam.rs"]
mod exam;
#[path = "suite/guide.rs"]
mod guide;
#[path = "suite/history.rs"]
mod history;
#[path = "suite/house_rubric.rs"]
mod house_rubric;
#[path = "suite/html_report.rs"]
mod html_report;
#[path = "suite/llm_audit.rs"]
mod llm_audit;
#[path = "suite/llm_check.rs"]
mod llm_check;
#[path = "suite/llm_client.rs"]
mod llm_client;
#[path = "suite/llm_litellm.rs"]
mod llm_litellm;
#[path = "suite/llm_llama.rs"]
mod llm_llama;
#[path = "suite/llm_session.rs"]
mod llm_session;
#[path = "suite/llm_voice.rs"]
mod llm_voice;
#[path = "suite/persona_extends.rs"]
mod persona_extends;
#[path = "suite/persona_files.rs"]
mod persona_files;
#[path = "suite/practice.rs"]
mod practice;
#[path = "suite/reading.rs"]
mod reading;
#[path = "suite/replay.rs"]
mod replay;
#[path = "suite/rubric_files.rs"]
mod rubric_files;
#[path = "suite/run.rs"]
mod run;
#[path = "suite/score.rs"]
mod score;
#[path = "suite/score_props.rs"]
mod score_props;
#[path = "suite/scripts.rs"]
mod scripts;
#[path = "suite/serve.rs"]
mod serve;
#[path = "suite/serve_browser.rs"]
mod serve_browser;
#[path = "suite/shipped.rs"]
mod shipped;
#[path = "suite/snapshots.rs"]
mod snapshots;
#[path = "suite/trainer_errors.rs"]
mod trainer_errors;
