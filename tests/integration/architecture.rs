//! Data flows one way: reads every file under src/, builds the graph of which top-level module
//! names which (`crate::module` in code, comments ignored), and fails on any cycle and on the
//! edges ARCHITECTURE.md forbids. The analysis is itself tested on a small made-up tree, so
//! a checker that saw nothing could not pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges that must never exist, with the reason a person reads when one appears.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    ("report", "run", "reports read `results`, not the runner"),
    ("drift", "report", "atomic writes live in `atomic_file`"),
    ("check", "drift", "`Severity` lives in `results`"),
    ("check", "report", "curl lines live in `results`"),
    (
        "run",
        "sandbox",
        "the harness never leans on the system under test",
    ),
    (
        "sandbox",
        "run",
        "the sandbox never reuses the harness's judgement",
    ),
    (
        "sandbox",
        "check",
        "the sandbox never reuses the harness's judgement",
    ),
    (
        "contract",
        "generate",
        "the contract model is read by the generator, not the reverse",
    ),
    (
        "contract",
        "run",
        "the contract model knows nothing of running",
    ),
    (
        "generate",
        "run",
        "a plan is built without knowing how it is sent",
    ),
    (
        "schema",
        "generate",
        "the schema reader is a leaf every reader of schemas shares",
    ),
    (
        "schema",
        "sandbox",
        "the schema reader is a leaf every reader of schemas shares",
    ),
    (
        "schema",
        "contract",
        "the schema reader is a leaf every reader of schemas shares",
    ),
];

/// Modules only the binary's edge may name.
const EDGE_ONLY: &[&str] = &["cli", "harness"];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level module a file under src/ belongs to (`None` for lib.rs and the binaries:
/// main.rs and src/bin/, which are edges over the library).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_owned())
}

/// The code of a Rust file without its comments (line comments, doc comments included).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) is rare enough in src/ that cutting there
            // only ever drops text, never adds an edge.
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module named as `crate::name` or `crate::{name, ...}` in `code`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                named.insert(first_segment(item.trim()));
            }
        } else {
            named.insert(first_segment(rest));
        }
    }
    named.retain(|name| !name.is_empty() && name != "self");
    named
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The module graph of a tree given as (path relative to src/, file text).
fn graph(files: &[(std::path::PathBuf, String)]) -> Graph {
    let mut graph = Graph::new();
    for (path, text) in files {
        let Some(module) = module_of(path) else {
            continue;
        };
        let targets = graph.entry(module.clone()).or_default();
        for named in named_modules(&without_comments(text)) {
            if named != module {
                targets.insert(named);
            }
        }
    }
    graph
}

/// Every module that lies on a cycle, with one cycle through it.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in graph.keys() {
        if let Some(path) = path_back(graph, start) {
            found.push(path);
        }
    }
    found
}

/// A path from `start` back to itself, by breadth-first search.
fn path_back(graph: &Graph, start: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten() {
            if next == start {
                // Walk back from `node` to `start`, then read the walk forwards.
                let mut back = vec![start.to_owned()];
                let mut at = node;
                while at != start {
                    back.push(at.to_owned());
                    at = came_from[at];
                }
                back.push(start.to_owned());
                back.reverse();
                return Some(back);
            }
            if !came_from.contains_key(next.as_str()) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Every rule `graph` breaks, one line each.
fn violations(graph: &Graph) -> Vec<String> {
    let mut broken = Vec::new();
    for cycle in cycles(graph) {
        broken.push(format!("cycle: {}", cycle.join(" -> ")));
    }
    for (from, to, why) in FORBIDDEN {
        if graph
            .get(*from)
            .is_some_and(|targets| targets.contains(*to))
        {
            broken.push(format!("forbidden edge {from} -> {to}: {why}"));
        }
    }
    for (from, targets) in graph {
        for edge in EDGE_ONLY.iter().filter(|m| targets.contains(**m)) {
            broken.push(format!("{from} -> {edge}: only the binary names `{edge}`"));
        }
    }
    broken
}

fn source_files(root: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
            }
        }
    }
    files
}

#[test]
fn src_modules_form_no_cycle_and_no_forbidden_edge() {
    let graph = graph(&source_files(&crate::common::workdir().join("src")));
    assert!(graph.len() >= 10, "too few modules found: {graph:?}");
    assert!(
        graph["run"].contains("check") && graph["report"].contains("results"),
        "the scan must see real edges: {graph:?}"
    );
    let broken = violations(&graph);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_checker_finds_cycles_forbidden_edges_and_grouped_imports() {
    let file = |path: &str, text: &str| (std::path::PathBuf::from(path), text.to_owned());
    let files = vec![
        file(
            "report/mod.rs",
            "use crate::{results::Finding, run::Summary};",
        ),
        file(
            "run/mod.rs",
            "use crate::report::x; // crate::sandbox in a comment",
        ),
        file(
            "results.rs",
            "//! [`crate::run`] in a doc comment\nfn f() {}",
        ),
        file("check/mod.rs", "fn f() { crate::cli::main(); }"),
        file("lib.rs", "use crate::anything;"),
    ];
    let graph = graph(&files);
    assert_eq!(
        graph["report"],
        BTreeSet::from(["results".to_owned(), "run".to_owned()])
    );
    assert_eq!(graph["run"], BTreeSet::from(["report".to_owned()]));
    assert!(graph["results"].is_empty(), "comments are not code");
    let broken = violations(&graph);
    assert!(
        broken.contains(&"cycle: report -> run -> report".to_owned()),
        "{broken:?}"
    );
    assert!(
        broken
            .iter()
            .any(|b| b.starts_with("forbidden edge report -> run")),
        "{broken:?}"
    );
    assert!(
        broken.iter().any(|b| b.starts_with("check -> cli")),
        "{broken:?}"
    );
}
