//! `peilian rubric …`: checking rule files a trainer writes.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::rubric;
use crate::ui;

pub(super) fn validate(paths: &[PathBuf]) -> anyhow::Result<u8> {
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    let mut problems = 0;
    for p in paths {
        let loaded = rubric::load_rubric_file(p).and_then(|a| {
            // Build every kind now: sessions build them lazily, a trainer wants to know.
            a.compile_all().map(|()| a).map_err(|probs| {
                crate::diag::Diagnostics(
                    probs
                        .iter()
                        .map(|pr| crate::diag::Diagnostic {
                            file: p.display().to_string(),
                            line: 1,
                            column: 1,
                            field: pr.field.to_string(),
                            message: pr.message.clone(),
                        })
                        .collect(),
                )
            })
        });
        match loaded {
            Ok(a) => writeln!(
                out,
                "✓ {}: {} ({}),{} 条规则",
                p.display(),
                ui::sanitize(&a.rubric().name),
                a.rubric().id,
                a.rubric().rules.len()
            )?,
            Err(d) => {
                problems += d.0.len();
                for x in &d.0 {
                    writeln!(err, "{}", ui::sanitize(&x.to_string()))?;
                }
            }
        }
    }
    if problems > 0 {
        writeln!(err, "\n共 {problems} 个问题。")?;
        return Ok(1);
    }
    Ok(0)
}
