//! Trains the default act model from `rubrics/examples/*.tsv` and embeds it, so the
//! binary starts with a fitted model and no training at run time. The training code is
//! the library's own (`src/reading/`), compiled here too; it needs only `std`.

#![allow(dead_code)]

use std::path::Path;

#[path = "src/reading"]
mod reading {
    pub mod act;
    pub mod clause;
    pub mod features;
    pub mod model;
    pub mod normalise;
    pub mod train;
}

fn main() {
    let dir = Path::new("rubrics/examples");
    println!("cargo:rerun-if-changed=rubrics/examples");
    for f in ["act", "clause", "features", "model", "normalise", "train"] {
        println!("cargo:rerun-if-changed=src/reading/{f}.rs");
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("rubrics/examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let mut examples = Vec::new();
    let mut joined = String::new();
    for p in &files {
        let text = std::fs::read_to_string(p).expect("read examples");
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        match reading::train::parse_examples(&text, &name, &reading::act::is_known_label) {
            Ok(mut e) => examples.append(&mut e),
            Err(errors) => {
                for e in errors {
                    println!("cargo:warning={}:{}: {}", e.file, e.line, e.message);
                }
                panic!("rubrics/examples has errors");
            }
        }
        joined.push_str(&format!("#file {name}\n"));
        joined.push_str(&text);
        if !text.ends_with('\n') {
            joined.push('\n');
        }
    }
    let outputs = reading::act::outputs();
    let trained = reading::train::train(&examples, &outputs, &Default::default());
    let out = std::env::var("OUT_DIR").unwrap();
    let out = Path::new(&out);
    std::fs::write(out.join("default.model"), trained.model.to_bytes()).unwrap();
    std::fs::write(out.join("default.examples.tsv"), joined).unwrap();
    let mut cv = String::new();
    for (o, c) in outputs.iter().zip(&trained.cv) {
        cv.push_str(&format!("{o}\t{}\t{}\t{}\n", c.tp, c.fp, c.fn_));
    }
    std::fs::write(out.join("default.cv.tsv"), cv).unwrap();
}
