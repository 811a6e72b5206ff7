//! Every Rust example in the READMEs and the crate docs is compiled.
//!
//! Two ways count: a block rustdoc compiles (README.md and codegen/README.md are doctests of
//! this crate; crate docs are doctests of their crate), or a block marked `ignore` that is a
//! verbatim excerpt of a file the workspace or CI compiles, named on the line before it:
//! `<!-- compiled: examples/first-hour/src/main.rs -->` (in a doc comment: `/// <!-- compiled: … -->`).
//! The second way is for code that needs what a doctest cannot have, such as a build script's
//! `OUT_DIR`. This test fails on an `ignore` block without that line, or whose text the named
//! file does not contain (indentation may differ by a constant amount).
// A missing README or source fails the test loudly.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The marker that names the compiled file an `ignore` block is copied from.
const MARKER: &str = "<!-- compiled: ";

/// Folders whose `.rs` doc comments are checked (generated code is checked by its generator).
const DOC_ROOTS: &[&str] = &[
    "runtime/src",
    "codegen/src",
    "macros/src",
    "generated-example/src/demo",
];

/// Markdown files whose Rust blocks are checked.
const MARKDOWN: &[&str] = &["README.md", "codegen/README.md", "spec-models/README.md"];

/// Folders a marker may point into: compiled by `cargo test --workspace` or `scripts/test.sh`.
const COMPILED_ROOTS: &[&str] = &[
    "runtime/",
    "codegen/",
    "macros/",
    "generated-example/",
    "tests/",
    "examples/first-hour/",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A fenced Rust block: where it starts, its info string, its lines and the marker before it.
struct Block {
    line: usize,
    info: String,
    text: Vec<String>,
    marker: Option<String>,
}

/// Fenced blocks of `lines` (already stripped of any doc-comment prefix).
fn blocks(lines: &[String]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            let info = info.trim().to_owned();
            let marker = (0..i)
                .rev()
                .map(|j| lines[j].trim())
                .find(|l| !l.is_empty())
                .and_then(|l| l.strip_prefix(MARKER))
                .and_then(|l| l.strip_suffix("-->"))
                .map(|p| p.trim().to_owned());
            let start = i;
            i += 1;
            let mut text = Vec::new();
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                text.push(lines[i].clone());
                i += 1;
            }
            out.push(Block {
                line: start + 1,
                info,
                text,
                marker,
            });
        }
        i += 1;
    }
    out
}

fn is_rust(info: &str) -> bool {
    // Rustdoc reads a block labelled only with its attributes (```ignore) as Rust too.
    const ATTRIBUTES: &[&str] = &["ignore", "no_run", "should_panic", "compile_fail"];
    let tokens: Vec<&str> = info.split([',', ' ']).filter(|t| !t.is_empty()).collect();
    tokens.contains(&"rust")
        || (!tokens.is_empty() && tokens.iter().all(|t| ATTRIBUTES.contains(t)))
}

/// Whether `needle` occurs in `hay` as consecutive lines, every non-blank line shifted by the
/// same indentation.
fn contains_lines(hay: &[&str], needle: &[String]) -> bool {
    let needle: Vec<&str> = needle.iter().map(String::as_str).collect();
    let Some(first) = needle.iter().position(|l| !l.trim().is_empty()) else {
        return false;
    };
    let needle = &needle[first..];
    let n = needle.len();
    (0..hay.len().saturating_sub(n - 1)).any(|start| {
        let Some(indent) = hay[start].strip_suffix(needle[0]) else {
            return false;
        };
        if !indent.chars().all(|c| c == ' ') {
            return false;
        }
        needle
            .iter()
            .zip(&hay[start..start + n])
            .all(|(want, got)| {
                if want.trim().is_empty() {
                    got.trim().is_empty()
                } else {
                    got.strip_prefix(indent) == Some(*want)
                }
            })
    })
}

/// Problems with the `ignore` blocks of one file's (stripped) lines.
fn check(origin: &str, lines: &[String], root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for block in blocks(lines) {
        if !is_rust(&block.info) || !block.info.contains("ignore") {
            continue;
        }
        let at = format!("{origin}:{}", block.line);
        let Some(path) = block.marker else {
            problems.push(format!(
                "{at}: a Rust block marked `ignore` is not compiled: make it a doctest, or copy it verbatim from a compiled file and name that file on the line before it ({MARKER}PATH -->)"
            ));
            continue;
        };
        if !COMPILED_ROOTS.iter().any(|r| path.starts_with(r)) {
            problems.push(format!(
                "{at}: {path} is not in a compiled folder ({})",
                COMPILED_ROOTS.join(", ")
            ));
            continue;
        }
        match std::fs::read_to_string(root.join(&path)) {
            Ok(source) => {
                let hay: Vec<&str> = source.lines().collect();
                if !contains_lines(&hay, &block.text) {
                    problems.push(format!(
                        "{at}: the block is not a verbatim excerpt of {path}: copy it again from there"
                    ));
                }
            }
            Err(e) => problems.push(format!("{at}: cannot read {path}: {e}")),
        }
    }
    problems
}

/// The doc-comment lines of a Rust source, prefix removed; other lines become blank so line
/// numbers still match the file.
fn doc_lines(source: &str) -> Vec<String> {
    source
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let doc = t.strip_prefix("//!").or_else(|| t.strip_prefix("///"));
            doc.map(|d| d.strip_prefix(' ').unwrap_or(d).to_owned())
                .unwrap_or_default()
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_example_in_the_docs_is_compiled() {
    let root = workspace();
    let mut problems = Vec::new();
    for md in MARKDOWN {
        let text = std::fs::read_to_string(root.join(md)).expect("README present");
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        problems.extend(check(md, &lines, &root));
    }
    let mut files = Vec::new();
    for dir in DOC_ROOTS {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "found only {} sources", files.len());
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable source");
        let origin = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        problems.extend(check(&origin, &doc_lines(&source), &root));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_finds_an_unmarked_block_and_a_drifted_excerpt() {
    let root = workspace();
    let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    let unmarked = lines("text\n```rust,ignore\nfn main() {}\n```\n");
    assert_eq!(check("x.md", &unmarked, &root).len(), 1);
    let drifted = lines(
        "<!-- compiled: examples/first-hour/src/main.rs -->\n```rust,ignore\nfn no_such_function() {}\n```\n",
    );
    let found = check("x.md", &drifted, &root);
    assert!(found[0].contains("not a verbatim excerpt"), "{found:?}");
    let verbatim = lines(
        "<!-- compiled: examples/first-hour/src/main.rs -->\n```rust,ignore\nstruct Roster {\n    users: Vec<UserDType>,\n}\n```\n",
    );
    assert_eq!(check("x.md", &verbatim, &root), Vec::<String>::new());
}
