//! Data flows one way: reads every file under src/, builds the graph of which top-level module
//! names which (`crate::module` in code, comments ignored), and fails on any cycle and on the
//! edges ARCHITECTURE.md forbids. The analysis is itself tested on a small made-up tree, so
//! a checker that saw nothing could not pass. The same reading of the code holds three more
//! rules: no import circle between the files of a module, no schema keyword spelt outside
//! `schema`, and no test that starts a nested cargo build.

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

/// A file's module path: `generate/solve/mod.rs` → `generate::solve`, `generate/judge.rs` →
/// `generate::judge` (empty for lib.rs).
fn module_path(relative: &Path) -> Vec<String> {
    let mut segments: Vec<String> = relative
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = segments.pop().unwrap_or_default();
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    if !matches!(stem, "mod" | "lib" | "main") {
        segments.push(stem.to_owned());
    }
    segments
}

/// The code a file's tests do not see: everything before its first `#[cfg(test)]` (a test
/// module's `use super::*` names the file itself, and tests may reach anywhere).
fn without_tests(code: &str) -> &str {
    code.find("#[cfg(test)]").map_or(code, |at| &code[..at])
}

/// Every path the code names from `crate::`, `super::` or `self::`, as segments from the
/// crate root (a group `{a, b::c}` gives one path per member). A root's `mod child;` and its
/// re-exports are not edges: a root names its children; an edge is one file reaching into
/// another by path.
fn named_paths(own: &[String], code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let starts = ["crate::", "super::", "self::"];
    let mut at = 0;
    while at < code.len() {
        let boundary = at == 0
            || !(bytes[at - 1].is_ascii_alphanumeric()
                || bytes[at - 1] == b'_'
                || bytes[at - 1] == b':');
        let start = starts.iter().find(|s| code[at..].starts_with(*s));
        let (true, Some(_)) = (boundary, start) else {
            at += code[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let end = path_end(&code[at..]);
        for path in expand(&code[at..at + end]) {
            paths.push(resolve(own, &path));
        }
        at += end.max(1);
    }
    paths
}

/// Where a path starting at the text's beginning ends: at the first character that is not
/// part of a path, or after its `{…}` group.
fn path_end(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            c if depth > 0 || c.is_alphanumeric() || c == '_' || c == ':' => {}
            _ => return i,
        }
    }
    text.len()
}

/// `a::{b, c::d}` → `a::b`, `a::c::d` (one level of grouping, nested groups flattened).
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.to_owned()];
    };
    let prefix = &path[..open];
    let inner = path[open + 1..].trim_end_matches('}');
    let mut members = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => members.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    members.push(current);
    members
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
        .flat_map(|m| expand(&format!("{prefix}{m}")))
        .collect()
}

/// A path's segments from the crate root, `super` and `self` taken relative to `own`.
fn resolve(own: &[String], path: &str) -> Vec<String> {
    let mut segments: Vec<String> = Vec::new();
    for (i, segment) in path.split("::").map(str::trim).enumerate() {
        match (i, segment) {
            (0, "crate") => {}
            (0, "self") => segments = own.to_vec(),
            (0, "super") => {
                segments = own.to_vec();
                segments.pop();
            }
            (_, "super") => {
                segments.pop();
            }
            (_, "") => {}
            (_, name) => segments.push(name.to_owned()),
        }
    }
    segments
}

/// For each top-level module, the graph between its files: file → the files it names.
fn file_graphs(files: &[(std::path::PathBuf, String)]) -> BTreeMap<String, Graph> {
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(path, _)| (module_path(path), path.display().to_string()))
        .collect();
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    for (path, text) in files {
        let Some(top) = module_of(path) else {
            continue;
        };
        let own = module_path(path);
        let from = path.display().to_string();
        let graph = graphs.entry(top.clone()).or_default();
        let targets = graph.entry(from.clone()).or_default();
        for named in named_paths(&own, without_tests(&without_comments(text))) {
            // The deepest file the path reaches: `generate::solve::Variant` is solve/mod.rs.
            let target = (1..=named.len())
                .rev()
                .find_map(|n| by_module.get(&named[..n]));
            if let Some(target) = target.filter(|t| **t != from && named[0] == top) {
                targets.insert(target.clone());
            }
        }
    }
    graphs
}

/// Every import circle between the files of one module, one line each.
fn file_cycles(files: &[(std::path::PathBuf, String)]) -> Vec<String> {
    let mut found = BTreeSet::new();
    for graph in file_graphs(files).values() {
        for cycle in cycles(graph) {
            // One line per circle, however many files lie on it.
            let mut members = cycle[..cycle.len() - 1].to_vec();
            let first = members
                .iter()
                .enumerate()
                .min_by_key(|(_, m)| *m)
                .map_or(0, |(i, _)| i);
            members.rotate_left(first);
            members.push(members[0].clone());
            found.insert(members.join(" -> "));
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_module_has_an_import_circle_between_its_files() {
    let files = source_files(&crate::common::workdir().join("src"));
    let graphs = file_graphs(&files);
    assert!(
        graphs["generate"]["generate/solve/string.rs"].contains("generate/solve/pattern.rs"),
        "the scan must see real edges: {:?}",
        graphs["generate"]
    );
    let circles = file_cycles(&files);
    assert!(
        circles.is_empty(),
        "import circles (a root names its children; what children share lives in a sibling file, \
         not in the root):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_checker_finds_circles_between_files_of_a_module() {
    let file = |path: &str, text: &str| (std::path::PathBuf::from(path), text.to_owned());
    let files = vec![
        file(
            "gen/mod.rs",
            "mod a;\nmod b;\npub struct Shared;\nfn f() { self::a::go(); }",
        ),
        file("gen/a.rs", "use super::{b::thing, c};"),
        file("gen/b.rs", "fn f() { crate::gen::Shared; }"),
        file(
            "gen/c.rs",
            "use crate::other::gen::x;\n#[cfg(test)]\nmod tests { use super::super::a; }",
        ),
        file(
            "gen/d/mod.rs",
            "use super::super::gen::c::y; mod e; use self::e::z;",
        ),
        file("gen/d/e.rs", "use self::z; // super::a in a comment"),
        file("other/mod.rs", "use crate::gen::a;"),
    ];
    let graphs = file_graphs(&files);
    let gen = &graphs["gen"];
    assert_eq!(
        gen["gen/a.rs"],
        BTreeSet::from(["gen/b.rs".to_owned(), "gen/c.rs".to_owned()])
    );
    assert_eq!(gen["gen/b.rs"], BTreeSet::from(["gen/mod.rs".to_owned()]));
    assert!(
        gen["gen/c.rs"].is_empty(),
        "other modules and tests are not edges: {gen:?}"
    );
    assert_eq!(
        gen["gen/d/mod.rs"],
        BTreeSet::from(["gen/c.rs".to_owned(), "gen/d/e.rs".to_owned()])
    );
    assert!(gen["gen/d/e.rs"].is_empty(), "{gen:?}");
    assert!(graphs["other"]["other/mod.rs"].is_empty(), "{graphs:?}");
    assert_eq!(
        file_cycles(&files),
        vec!["gen/a.rs -> gen/b.rs -> gen/mod.rs -> gen/a.rs".to_owned()]
    );
}

/// JSON Schema keywords: named as a string literal (`"minLength"`), a keyword is read by hand.
/// The words too common to tell from other text (`"if"`, `"default"`, `"examples"`) are left
/// out; the rest are what a second schema walker would have to name.
const KEYWORDS: &[&str] = &[
    "$ref",
    "$id",
    "$anchor",
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "$schema",
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "items",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "minItems",
    "maxItems",
    "uniqueItems",
    "allOf",
    "anyOf",
    "oneOf",
    "nullable",
    "discriminator",
    "readOnly",
    "writeOnly",
];

/// Words of other formats that are spelt like keywords: SARIF's log has its own `$schema`
/// (the SARIF schema's address) and `properties` (a result's property bag); OpenAPI's
/// objects have their own `required` flag and a Security Scheme its `type`, named once in
/// `openapi/field.rs`.
const NOT_SCHEMA_KEYWORDS: &[(&str, &[&str])] = &[
    ("report/sarif.rs", &["$schema", "properties"]),
    // OpenAPI's own objects: a Parameter's, Request Body's or Header's `required` flag and a
    // Security Scheme's `type`.
    ("openapi/field.rs", &["required", "type"]),
];

/// The keywords a file's code names, less the words its own format spells the same way.
fn keywords_named_in(name: &str, text: &str) -> BTreeSet<&'static str> {
    let own = NOT_SCHEMA_KEYWORDS
        .iter()
        .filter(|(file, _)| *file == name)
        .flat_map(|(_, words)| words.iter());
    let mut named = keywords_named(text);
    for word in own {
        named.remove(word);
    }
    named
}

/// The keywords a file's code (comments and tests left out) names as string literals.
fn keywords_named(text: &str) -> BTreeSet<&'static str> {
    let code = without_comments(text);
    let code = without_tests(&code);
    KEYWORDS
        .iter()
        .copied()
        .filter(|k| code.contains(&format!("\"{k}\"")))
        .collect()
}

#[test]
fn no_file_outside_schema_names_a_schema_keyword() {
    let files = source_files(&crate::common::workdir().join("src"));
    let mut broken = Vec::new();
    for (path, text) in &files {
        let name = path.display().to_string();
        if name.starts_with("schema/") || path.ends_with("tests.rs") {
            continue;
        }
        let named = keywords_named_in(&name, text);
        if !named.is_empty() {
            broken.push(format!(
                "{name} names {named:?}: ask `schema` (`Keyword`, `holds`, `types_at`, \
                 `declared_types`, `embed`) instead"
            ));
        }
    }
    assert!(
        keywords_named(
            &std::fs::read_to_string(crate::common::workdir().join("src/schema/mod.rs")).unwrap()
        )
        .len()
            > 5,
        "the scan must see real keywords"
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_keyword_scan_reads_code_not_comments_or_tests() {
    let text = "// \"minLength\" in a comment\nfn f() { m.get(\"maxItems\"); let t = \"types\"; }\n#[cfg(test)]\nmod tests { json!({\"enum\": []}); }";
    assert_eq!(keywords_named(text), BTreeSet::from(["maxItems"]));
}

/// What a test names to start cargo itself: its program name, the variable cargo sets to its
/// own path, and the target folder a nested build is pointed at. A nested `cargo test` once
/// rebuilt the whole crate from inside the suite (444 s with a custom target dir, #19); tests
/// run the binaries cargo already built (`env!("CARGO_BIN_EXE_…")`) instead.
const NESTED_CARGO: &[&str] = &["\"cargo\"", "\"CARGO\"", "CARGO_TARGET_DIR"];

#[test]
fn no_test_runs_a_nested_cargo_build() {
    let files = source_files(&crate::common::workdir().join("tests"));
    assert!(
        files
            .iter()
            .any(|(path, text)| path.ends_with("integration/common.rs")
                && text.contains("CARGO_BIN_EXE_specgate-suite")),
        "the scan must see the tests"
    );
    let mut found = Vec::new();
    for (path, text) in &files {
        // This file names the words it looks for.
        if path.ends_with("integration/architecture.rs") {
            continue;
        }
        let code = without_comments(text);
        for word in NESTED_CARGO.iter().filter(|w| code.contains(**w)) {
            found.push(format!("{} names {word}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "a test starts cargo; run an already-built binary instead:\n{}",
        found.join("\n")
    );
}
