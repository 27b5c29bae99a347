//! The official JSON Schema Test Suite (draft 2020-12, vendored under tests/data/jsts with
//! its MIT license) as a test of the generator: each group's schema becomes a request body
//! schema, the plan is built (`--examples 30`), and every JSON body is judged by a validator
//! compiled here, apart from specgate's own.
//!
//! Asserted: no body is mislabelled (an `accept` body that is invalid, a `reject` body that is
//! valid); at least 99% of the groups with a valid instance get a valid body; at least 95% of
//! the groups with an invalid instance get a really invalid `reject` body; a group whose
//! schema admits nothing is refused with the pointer and keyword that refuse it.

use serde_json::Value;
use specgate::contract::{Expect, Expectations, Operation, Schema};
use specgate::generate::{plan, Body, Generator, Origin, PlanOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Groups skipped by name, each with why (as jsonschema's own suite runner lists its own).
const SKIPPED: &[(&str, &str, &str)] = &[
    (
        "dynamicRef.json",
        "*",
        "$dynamicRef: resolved by dynamic scope, which generation does not follow",
    ),
    (
        "refRemote.json",
        "*",
        "remote references: no network, and no remote documents are loaded",
    ),
    (
        "vocabulary.json",
        "*",
        "custom vocabularies and metaschemas",
    ),
    (
        "ref.json",
        "remote ref, containing refs itself",
        "a remote reference (the draft's metaschema)",
    ),
    (
        "defs.json",
        "validate definition against metaschema",
        "a remote reference (the draft's metaschema)",
    ),
    (
        "unevaluatedItems.json",
        "unevaluatedItems with $dynamicRef",
        "$dynamicRef",
    ),
    (
        "unevaluatedProperties.json",
        "unevaluatedProperties with $dynamicRef",
        "$dynamicRef",
    ),
];

fn skipped(file: &str, group: &str) -> Option<&'static str> {
    SKIPPED
        .iter()
        .find(|(f, g, _)| *f == file && (*g == "*" || *g == group))
        .map(|(_, _, why)| *why)
}

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/jsts/draft2020-12")
}

fn operation(file: &str, index: usize, schema: Schema) -> Operation {
    let name = format!("{}-{index}", file.trim_end_matches(".json").to_lowercase());
    Operation {
        path: format!("/{name}"),
        name,
        description: String::new(),
        source: suite().join(file),
        method: http::Method::POST,
        auth: Default::default(),
        content_type: "application/json".to_owned(),
        body_schema: Some(schema.clone()),
        request_schema: schema,
        plan_document: None,
        shape: None,
        responses: Vec::new(),
        expect: Expectations {
            valid: vec!["2xx".parse().unwrap()],
            invalid: vec!["4xx".parse().unwrap()],
            unauthorized: Vec::new(),
        },
        redactions: Vec::new(),
        examples: Vec::new(),
        sandbox_fields: Vec::new(),
        constants: Vec::new(),
    }
}

#[derive(Default, Debug)]
struct Tally {
    groups: usize,
    skipped: usize,
    satisfiable: usize,
    satisfiable_with_valid_body: usize,
    refutable: usize,
    refutable_with_invalid_body: usize,
    refused: usize,
    refused_satisfiable: Vec<String>,
    unnamed_refusals: Vec<String>,
    bodies: usize,
    random: usize,
    redraws: u64,
    mislabelled: Vec<String>,
    no_valid_body: Vec<String>,
    no_invalid_body: Vec<String>,
}

fn json_body(body: &Body) -> Option<Value> {
    match body {
        Body::Json(value) => Some(value.clone()),
        Body::Serialized(bytes) => serde_json::from_slice(bytes).ok(),
        Body::Raw(_) | Body::RawWith { .. } => None,
    }
}

fn judge_group(file: &str, index: usize, group: &Value, tally: &mut Tally) {
    let description = group["description"].as_str().unwrap_or("").to_owned();
    let name = format!("{file}: {description}");
    let tests = group["tests"].as_array().cloned().unwrap_or_default();
    let satisfiable = tests.iter().any(|t| t["valid"] == Value::Bool(true));
    let refutable = tests.iter().any(|t| t["valid"] == Value::Bool(false));
    tally.satisfiable += usize::from(satisfiable);
    tally.refutable += usize::from(refutable);
    let document = group["schema"].clone();
    let judge = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&document)
        .unwrap_or_else(|e| panic!("{name}: the judge cannot compile the schema: {e}"));
    let loaded = Schema::from_document(&suite().join(file), document)
        .map_err(|e| e.to_string())
        .and_then(|schema| {
            Generator::new(Arc::new(operation(file, index, schema))).map_err(|e| e.to_string())
        });
    let generator = match loaded {
        Ok(generator) => Arc::new(generator),
        Err(message) => {
            tally.refused += 1;
            // Refusing a schema nothing satisfies is right: no body is owed.
            tally.refutable -= usize::from(refutable && !satisfiable);
            if satisfiable {
                tally.refused_satisfiable.push(format!("{name}: {message}"));
            } else {
                let named = message.contains(" at ") && message.matches('`').count() >= 2;
                if !named {
                    tally.unnamed_refusals.push(format!("{name}: {message}"));
                }
            }
            return;
        }
    };
    let options = PlanOptions {
        seed: 0,
        examples: 30,
    };
    let (mut valid_body, mut invalid_body) = (false, false);
    for request in plan(vec![Arc::clone(&generator)], options) {
        tally.random += usize::from(matches!(request.origin, Origin::Random { .. }));
        let Some(body) = json_body(&request.body) else {
            continue;
        };
        tally.bodies += 1;
        let valid = judge.is_valid(&body);
        match (request.expect, valid) {
            (Expect::Accept, true) => valid_body = true,
            (Expect::Reject, false) => invalid_body = true,
            (Expect::Accept, false) | (Expect::Reject, true) => tally
                .mislabelled
                .push(format!("{name}: {} {body}", request.id)),
            (Expect::Unauthorized, _) => {}
        }
    }
    tally.redraws += generator.redraws();
    if satisfiable {
        tally.satisfiable_with_valid_body += usize::from(valid_body);
        if !valid_body {
            tally.no_valid_body.push(name.clone());
        }
    }
    if refutable {
        tally.refutable_with_invalid_body += usize::from(invalid_body);
        if !invalid_body {
            tally.no_invalid_body.push(name);
        }
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[test]
fn every_group_of_the_json_schema_test_suite_gets_sound_valid_and_invalid_bodies() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(suite())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut tally = Tally::default();
    for path in files {
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let groups: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (index, group) in groups.iter().enumerate() {
            tally.groups += 1;
            let description = group["description"].as_str().unwrap_or("");
            if skipped(&file, description).is_some() {
                tally.skipped += 1;
                continue;
            }
            judge_group(&file, index, group, &mut tally);
        }
    }
    assert_eq!(
        tally.skipped, 42,
        "a skipped name no longer matches its group"
    );
    println!(
        "JSON Schema Test Suite, draft 2020-12: {} groups, {} skipped by name",
        tally.groups, tally.skipped
    );
    println!("  bodies judged                      {}", tally.bodies);
    println!(
        "  random draws redrawn               {} (of {} random requests)",
        tally.redraws, tally.random
    );
    println!(
        "  mislabelled bodies                 {}",
        tally.mislabelled.len()
    );
    println!(
        "  satisfiable groups with a valid body  {}/{} ({:.1}%)",
        tally.satisfiable_with_valid_body,
        tally.satisfiable,
        percent(tally.satisfiable_with_valid_body, tally.satisfiable)
    );
    println!(
        "  refutable groups with an invalid reject body  {}/{} ({:.1}%; unsatisfiable groups, rightly refused, not counted)",
        tally.refutable_with_invalid_body,
        tally.refutable,
        percent(tally.refutable_with_invalid_body, tally.refutable)
    );
    println!(
        "  groups refused  {} (of which satisfiable: {})",
        tally.refused,
        tally.refused_satisfiable.len()
    );
    for line in &tally.refused_satisfiable {
        println!("    refused: {line}");
    }
    for line in &tally.no_valid_body {
        println!("    no valid body: {line}");
    }
    for line in &tally.no_invalid_body {
        println!("    no invalid body: {line}");
    }
    for line in tally.mislabelled.iter().take(40) {
        println!("    mislabelled: {line}");
    }
    for line in &tally.unnamed_refusals {
        println!("    refused without pointer and keyword: {line}");
    }
    assert!(
        tally.unnamed_refusals.is_empty(),
        "refusals name the pointer and keyword"
    );
    assert!(
        tally.mislabelled.is_empty(),
        "{} mislabelled bodies",
        tally.mislabelled.len()
    );
    assert_eq!(
        tally.satisfiable_with_valid_body, tally.satisfiable,
        "a valid body for every satisfiable group: {:?}",
        tally.no_valid_body
    );
    assert_eq!(
        tally.refutable_with_invalid_body, tally.refutable,
        "an invalid body for every refutable group: {:?}",
        tally.no_invalid_body
    );
}

/// A schema nothing satisfies stops `specgate plan` with exit code 2, naming the schema
/// file, the pointer and the keyword, and prints no plan.
#[test]
fn an_unsatisfiable_schema_is_refused_with_exit_code_2_naming_pointer_and_keyword() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = "name = \"never\"\nmethod = \"POST\"\npath = \"/x\"\n\n[request]\nschema = \"never.json\"\n\n[expect]\nvalid = [\"200\"]\ninvalid = [\"400\"]\n";
    std::fs::write(dir.path().join("never.toml"), case).expect("case");
    let schema = r#"{"type": "object", "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 3}}, "required": ["a"]}"#;
    std::fs::write(dir.path().join("never.json"), schema).expect("schema");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(["plan", "--cases"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing planned");
    assert!(stderr.contains("never.json"), "{stderr}");
    assert!(stderr.contains("/properties/a/m"), "{stderr}");
    assert!(stderr.contains("keyword `m"), "{stderr}");
}

/// Every satisfiable schema of the suite the generator accepts, each served by the built-in
/// sandbox at a path of its own: a real run over loopback (coverage plan and random payloads)
/// finds nothing, because the sandbox judges requests by the same keywords the plan is
/// labelled by.
#[test]
fn the_sandbox_serving_every_suite_schema_gives_a_conformant_run() {
    let mut operations = Vec::new();
    for path in std::fs::read_dir(suite())
        .unwrap()
        .map(|e| e.unwrap().path())
    {
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let groups: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (index, group) in groups.iter().enumerate() {
            let description = group["description"].as_str().unwrap_or("");
            if skipped(&file, description).is_some() {
                continue;
            }
            let Ok(schema) = Schema::from_document(&path, group["schema"].clone()) else {
                continue;
            };
            let operation = Arc::new(operation(&file, index, schema));
            if Generator::new(Arc::clone(&operation)).is_ok() {
                operations.push(operation);
            }
        }
    }
    assert!(operations.len() > 300, "{} operations", operations.len());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = specgate::sandbox::SandboxConfig {
        addr: ([127, 0, 0, 1], 0).into(),
        api_key: crate::common::KEY.to_owned(),
        faults: Vec::new(),
    };
    let sandbox = runtime
        .block_on(specgate::sandbox::Sandbox::start(
            operations.clone(),
            config,
        ))
        .unwrap();
    let run_config = specgate::run::RunConfig {
        base_url: sandbox.base_url().clone(),
        key: None,
        settings: specgate::run::RunSettings {
            plan: PlanOptions {
                seed: 0,
                examples: 5,
            },
            client: specgate::run::ClientOptions {
                timeout: std::time::Duration::from_secs(10),
                max_body_bytes: 1 << 20,
                retries: 0,
                concurrency: 8,
                tls: Default::default(),
            },
            rate: None,
            max_requests: None,
            fail_fast: false,
            shard: None,
            families: None,
            deadline: None,
            observe: true,
            other_routes: Vec::new(),
        },
    };
    let progress = Arc::new(specgate::run::Progress::default());
    let result = runtime
        .block_on(specgate::run::run(operations, run_config, progress))
        .unwrap();
    runtime.block_on(sandbox.shutdown());
    let findings: Vec<String> = result
        .findings
        .iter()
        .map(|f| format!("{} {} {}", f.check.name(), f.plan_id, f.message))
        .collect();
    println!(
        "suite schemas served by the sandbox: {} requests, {} findings",
        result.summary.requests,
        findings.len()
    );
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}
