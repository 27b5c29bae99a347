//! The generated plan, as a specification: what `Generator` and `specgate plan` promise for
//! the sessionlink-v2 case. Coverage is counted here independently, from the schema file
//! itself, and every payload's label is checked with the jsonschema crate.

use jsonschema::error::ValidationErrorKind;
use jsonschema::Validator;
use proptest::prelude::*;
use serde_json::Value;
use specgate::contract::{load_case, Expect, Operation};
use specgate::generate::{
    plan, Body, CoverageTracker, Family, Generator, KeyUse, Origin, PlanOptions, PlannedRequest,
    RandomClass, Reason,
};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generator() -> &'static Arc<Generator> {
    static GENERATOR: OnceLock<Arc<Generator>> = OnceLock::new();
    GENERATOR.get_or_init(|| {
        let operation = load_case(&root().join("cases/sessionlink-v2.toml")).expect("case loads");
        Arc::new(Generator::new(Arc::new(operation)).expect("generator builds"))
    })
}

fn operation() -> &'static Operation {
    generator().operation()
}

fn validator() -> Arc<Validator> {
    operation().request_schema.validator()
}

/// The request schema, read straight from its file (not through the crate's model).
fn schema_file() -> Value {
    let path = root().join("schemas/sessionlink-v2.request.json");
    let text = std::fs::read_to_string(path).expect("schema file");
    serde_json::from_str(&text).expect("schema JSON")
}

fn top_level_keys(body: &Value) -> BTreeSet<&str> {
    let object = body.as_object().expect("an object body");
    object.keys().map(String::as_str).collect()
}

fn json(request: &PlannedRequest) -> Option<&Value> {
    match &request.body {
        Body::Json(value) => Some(value),
        Body::Raw(_) | Body::RawWith { .. } => None,
        Body::Serialized(_) => panic!("plans hold values; only a run sends serialised bodies"),
    }
}

/// The JSON pointer a reason's field label stands for.
fn pointer_of(label: &str) -> String {
    if label.is_empty() || label.starts_with('/') {
        label.to_owned()
    } else {
        format!("/{label}")
    }
}

/// Assert that `body` fails the schema exactly for `reason`, with no unrelated error.
fn assert_rejected_for(body: &Value, reason: &Reason) {
    assert_rejected_by(&validator(), body, reason);
}

fn assert_rejected_by(validator: &Validator, body: &Value, reason: &Reason) {
    let errors: Vec<_> = validator.iter_errors(body).collect();
    assert!(!errors.is_empty(), "{reason} passes the schema: {body}");
    let (family, detail) = match reason.family {
        Family::RandomInvalid => {
            let (f, d) = reason.detail.split_once(": ").expect("inner reason");
            (Family::parse(f).expect("a family"), d.to_owned())
        }
        f => (f, reason.detail.clone()),
    };
    let field = detail.split('=').next().unwrap_or_default();
    match family {
        Family::MissingRequired if detail.starts_with('/') => {
            // Nested required properties, each named by its pointer.
            let missing: Vec<&str> = detail.split(',').collect();
            assert_eq!(errors.len(), missing.len(), "{reason}: {errors:?}");
            for pointer in missing {
                let (parent, name) = pointer.rsplit_once('/').expect("pointer");
                assert!(
                    errors.iter().any(|e| e.instance_path().as_str() == parent
                        && matches!(e.kind(), ValidationErrorKind::Required { property } if property == name)),
                    "{reason}: {errors:?}"
                );
            }
        }
        Family::MissingRequired => {
            let stated: BTreeSet<&str> = detail.split(',').collect();
            let reported: BTreeSet<String> = errors
                .iter()
                .map(|e| match e.kind() {
                    ValidationErrorKind::Required { property } => {
                        property.as_str().unwrap_or_default().to_owned()
                    }
                    other => panic!("{reason}: unexpected error {other:?}"),
                })
                .collect();
            let reported: BTreeSet<&str> = reported.iter().map(String::as_str).collect();
            assert_eq!(stated, reported, "{reason}");
        }
        Family::WrongType | Family::NullValue | Family::EnumOutside | Family::BadFormat => {
            // No pointer before the `=`, or no detail at all: the body itself.
            let pointer = if family == Family::NullValue || detail.contains('=') {
                pointer_of(field)
            } else {
                String::new()
            };
            for error in &errors {
                assert_eq!(error.instance_path().as_str(), pointer, "{reason}: {error}");
            }
            let wanted = errors.iter().any(|e| {
                matches!(
                    (family, e.kind()),
                    (
                        Family::WrongType | Family::NullValue,
                        ValidationErrorKind::Type { .. }
                    ) | (Family::EnumOutside, ValidationErrorKind::Enum { .. })
                        | (Family::BadFormat, ValidationErrorKind::Format { .. })
                )
            });
            assert!(wanted, "{reason}: errors {errors:?}");
        }
        Family::BadBody => {
            assert_eq!(detail, "array");
            assert!(errors
                .iter()
                .any(|e| matches!(e.kind(), ValidationErrorKind::Type { .. })
                    && e.instance_path().as_str().is_empty()));
        }
        // One constraint broken at the stated place (the solver's variants).
        other if detail.starts_with('/') || detail.is_empty() => {
            let pointer = field;
            assert!(
                errors
                    .iter()
                    .any(|e| e.instance_path().as_str().starts_with(pointer)),
                "{reason} ({other}): errors {errors:?}"
            );
        }
        other => panic!("{reason}: a reject of family {other}"),
    }
}

#[test]
fn every_accept_payload_passes_the_request_schema() {
    let coverage = generator().coverage();
    let accepts: Vec<_> = coverage
        .iter()
        .filter(|r| r.expect == Expect::Accept)
        .collect();
    assert!(accepts.len() > 400);
    for request in accepts {
        let body = json(request).expect("accept bodies are JSON");
        assert!(validator().is_valid(body), "{}: {body}", request.id);
    }
    assert_eq!(generator().contradictions(), 0);
}

#[test]
fn every_reject_payload_fails_the_request_schema_for_its_stated_reason() {
    for request in generator()
        .coverage()
        .iter()
        .filter(|r| r.expect == Expect::Reject && r.reason.family != Family::Example)
    {
        match &request.body {
            Body::Json(body) => assert_rejected_for(body, &request.reason),
            Body::Raw(text) | Body::RawWith { text, .. } => {
                assert_eq!(request.reason.family, Family::BadBody);
                assert!(serde_json::from_str::<Value>(text).is_err(), "{text:?}");
            }
            Body::Serialized(_) => panic!("the coverage plan holds values"),
        }
    }
}

#[test]
fn every_enum_value_of_the_schema_file_occurs_in_an_accept_payload() {
    let schema = schema_file();
    let properties = schema["properties"].as_object().expect("properties");
    let mut total = 0;
    let mut covered: HashSet<(String, String)> = HashSet::new();
    let coverage = generator().coverage();
    let accepted: Vec<&Value> = coverage
        .iter()
        .filter(|r| r.expect == Expect::Accept)
        .filter_map(json)
        .collect();
    for (name, property) in properties {
        let Some(values) = property["enum"].as_array() else {
            continue;
        };
        total += values.len();
        for body in &accepted {
            if let Some(value) = body.get(name).filter(|v| values.contains(v)) {
                covered.insert((name.clone(), value.to_string()));
            }
        }
    }
    assert_eq!(total, 249 + 4 + 2 + 4);
    assert_eq!(covered.len(), total);
    let tracked = tracked(generator().coverage());
    assert_eq!(
        (tracked.enum_values_covered, tracked.enum_values_total),
        (total as u64, total as u64)
    );
}

#[test]
fn every_non_empty_subset_of_required_fields_is_missing_from_some_reject_payload() {
    let schema = schema_file();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let subsets: HashSet<BTreeSet<&str>> = generator()
        .coverage()
        .iter()
        .filter(|r| r.expect == Expect::Reject && r.reason.family == Family::MissingRequired)
        .filter_map(json)
        .map(|body| {
            required
                .iter()
                .copied()
                .filter(|name| body.get(*name).is_none())
                .collect()
        })
        .collect();
    assert_eq!(subsets.len(), (1 << required.len()) - 1);
    assert!(!subsets.contains(&BTreeSet::new()));
    let tracked = tracked(generator().coverage());
    assert_eq!(
        (
            tracked.required_subsets_covered,
            tracked.required_subsets_total
        ),
        (127, 127)
    );
}

fn tracked(requests: Vec<PlannedRequest>) -> specgate::generate::Coverage {
    let mut tracker = CoverageTracker::new(operation());
    for request in &requests {
        tracker.observe(request);
    }
    tracker.coverage()
}

#[test]
fn coverage_plan_holds_each_required_kind_of_request() {
    let coverage = generator().coverage();
    let reasons: HashSet<String> = coverage.iter().map(|r| r.reason.to_string()).collect();
    for wanted in [
        "required-only",
        "all-fields",
        "optional-field: gender",
        "enum-value: countryCode=AX",
        "boundary: city=empty",
        "boundary: city=one-char",
        "boundary: city=long-256",
        "boundary: city=long-4096",
        "boundary: city=accents",
        "boundary: city=cjk",
        "boundary: city=emoji",
        "boundary: city=whitespace",
        "boundary: latitude=zero",
        "boundary: latitude=negative",
        "boundary: latitude=fractional",
        "boundary: latitude=large",
        "boundary: latitude=small",
        "missing-required: city,state",
        "wrong-type: latitude=string",
        "wrong-type: city=array",
        "null: city",
        "enum-outside: countryCode=af",
        "enum-outside: gender=male",
        "enum-outside: gender=FEMALE",
        "enum-outside: gender=",
        "bad-format: dob=2023-13-45T99:00:00Z",
        "bad-format: dob=2023-11-07",
        "bad-format: dob=not a date-time",
        "bad-body: array",
        "bad-body: not-json",
        "bad-body: empty",
        "auth-missing",
        "auth-wrong",
        "example: reference-example",
        "example: dob-without-time",
    ] {
        assert!(reasons.contains(wanted), "no `{wanted}` in the plan");
    }
}

#[test]
fn optional_field_payloads_hold_the_required_fields_plus_that_field() {
    let schema = schema_file();
    let required = schema["required"].as_array().expect("required").len();
    let coverage = generator().coverage();
    let optional: Vec<_> = coverage
        .iter()
        .filter(|r| r.reason.family == Family::OptionalField)
        .collect();
    assert_eq!(optional.len(), 26 - required);
    for request in optional {
        let body = json(request).expect("JSON");
        assert_eq!(body.as_object().map(|m| m.len()), Some(required + 1));
        assert!(body.get(&request.reason.detail).is_some());
    }
}

#[test]
fn ids_are_unique_and_name_case_family_and_detail() {
    let coverage = generator().coverage();
    let ids: HashSet<&str> = coverage.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), coverage.len());
    assert!(ids.contains("sessionlink-v2:enum-value:countryCode=AX"));
    assert!(ids.contains("sessionlink-v2:missing-required:city,state"));
}

#[test]
fn auth_requests_send_the_required_only_payload_with_a_missing_or_wrong_key() {
    let coverage = generator().coverage();
    let required_only = coverage
        .iter()
        .find(|r| r.reason.family == Family::RequiredOnly)
        .expect("required-only");
    for (name, key) in [
        (Family::AuthMissing, KeyUse::Missing),
        (Family::AuthWrong, KeyUse::Wrong),
    ] {
        let request = coverage
            .iter()
            .find(|r| r.reason.family == name)
            .expect("auth");
        assert_eq!(request.key, key);
        assert_eq!(request.expect, Expect::Unauthorized);
        assert_eq!(request.body, required_only.body);
    }
    let keyed = coverage.iter().filter(|r| r.key != KeyUse::Valid).count();
    assert_eq!(keyed, 2);
}

#[test]
fn case_examples_keep_their_own_expectation() {
    let coverage = generator().coverage();
    let examples: Vec<_> = coverage
        .iter()
        .filter(|r| r.origin == Origin::Example)
        .map(|r| (r.reason.detail.as_str(), r.expect))
        .collect();
    assert_eq!(
        examples,
        [
            ("reference-example", Expect::Accept),
            ("dob-without-time", Expect::Reject)
        ]
    );
}

#[test]
fn plan_is_coverage_then_random_valid_and_invalid_interleaved() {
    let options = PlanOptions {
        seed: 3,
        examples: 4,
    };
    let planned: Vec<_> = plan(vec![Arc::clone(generator())], options).collect();
    let coverage = generator().coverage().len();
    assert_eq!(planned.len(), coverage + 8);
    for (i, request) in planned[coverage..].iter().enumerate() {
        let class = [RandomClass::Valid, RandomClass::Invalid][i % 2];
        let alone = generator().random(3, class, (i / 2) as u64);
        assert_eq!(request.id, alone.id);
        assert_eq!(request.body, alone.body);
    }
    assert_eq!(planned[coverage + 1].id, "sessionlink-v2:random-invalid:0");
}

#[test]
fn the_plan_is_lazy_enough_for_a_million_requests() {
    let options = PlanOptions {
        seed: 0,
        examples: 500_000,
    };
    // Building a million random requests up front would take minutes in a debug build;
    // a lazy plan reaches the first random one at once.
    let coverage = generator().coverage().len();
    let first_random = plan(vec![Arc::clone(generator())], options)
        .nth(coverage)
        .expect("a random request");
    assert_eq!(first_random.id, "sessionlink-v2:random-valid:0");
}

#[test]
fn random_requests_depend_only_on_seed_class_and_index() {
    let g = generator();
    let a = g.random(11, RandomClass::Valid, 12_345);
    let b = g.random(11, RandomClass::Valid, 12_345);
    let other_seed = g.random(12, RandomClass::Valid, 12_345);
    assert_eq!(a.body, b.body);
    assert_ne!(a.body, other_seed.body);
    assert_eq!(a.id, "sessionlink-v2:random-valid:12345");
}

fn random_body(class: RandomClass, seed: u64, index: u64) -> (Value, Reason) {
    let request = generator().random(seed, class, index);
    let body = json(&request).expect("random bodies are JSON").clone();
    (body, request.reason)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_payloads_pass_the_schema(seed in any::<u64>(), index in 0u64..1_000_000) {
        let (body, reason) = random_body(RandomClass::Valid, seed, index);
        prop_assert_eq!(reason.family, Family::RandomValid);
        prop_assert!(validator().is_valid(&body), "{}", body);
    }

    #[test]
    fn random_invalid_payloads_fail_the_schema_for_their_reason(
        seed in any::<u64>(),
        index in 0u64..1_000_000,
    ) {
        let (body, reason) = random_body(RandomClass::Invalid, seed, index);
        prop_assert_eq!(reason.family, Family::RandomInvalid);
        assert_rejected_for(&body, &reason);
    }
}

/// Proptest's shrinking loop: simplify while the candidate fails, complicate when it passes.
fn shrink(
    class: RandomClass,
    seed: u64,
    index: u64,
    fails: impl Fn(&PlannedRequest) -> bool,
) -> PlannedRequest {
    let mut shrinker = generator().shrinker(seed, class, index);
    let mut last_failure = shrinker.current();
    assert!(fails(&last_failure));
    if !shrinker.simplify() {
        return last_failure;
    }
    loop {
        let candidate = shrinker.current();
        let step = if fails(&candidate) {
            last_failure = candidate;
            shrinker.simplify()
        } else {
            shrinker.complicate()
        };
        if !step {
            return last_failure;
        }
    }
}

/// A request is drawn straight into a value and its shrinker from a tree of the same seed;
/// the two must agree on every payload, or a shrunk finding would not be the one sent.
/// A random request comes in three forms that must agree: as planned (`random`), as a run
/// sends it (`random_to_send`, a valid payload drawn straight into bytes) and as the start
/// of its shrinker.
///
/// Returns how many requests of each class were sent serialised straight from their draw.
fn assert_every_form_of_a_random_request_agrees(generator: &Generator, indices: u64) -> [u64; 2] {
    let mut serialised = [0; 2];
    for class in [RandomClass::Valid, RandomClass::Invalid] {
        for index in 0..indices {
            let random = generator.random(5, class, index);
            let current = generator.shrinker(5, class, index).current();
            assert_eq!(
                (&random.id, &random.body, &random.reason),
                (&current.id, &current.body, &current.reason)
            );
            let sent = generator.random_to_send(5, class, index);
            assert_eq!(
                (&random.id, &random.reason, random.expect, random.origin),
                (&sent.id, &sent.reason, sent.expect, sent.origin)
            );
            assert_eq!(
                String::from_utf8_lossy(&random.body.to_bytes()),
                String::from_utf8_lossy(&sent.body.wire()),
                "{}",
                random.id
            );
            if class == RandomClass::Valid {
                assert!(matches!(sent.body, Body::Serialized(_)), "{}", sent.id);
            }
            serialised[class as usize] += u64::from(matches!(sent.body, Body::Serialized(_)));
        }
    }
    serialised
}

#[test]
fn every_form_of_a_random_request_is_the_same_request() {
    let [valid, invalid] = assert_every_form_of_a_random_request_agrees(generator(), 2_000);
    assert_eq!(valid, 2_000);
    // Its fields are all top-level: every damage is made while writing.
    assert_eq!(invalid, 2_000, "every invalid request serialised");
}

/// Proptest's own runner drives the same trees: a property that fails on one enum value is
/// reported with proptest's minimal input.
#[test]
fn proptest_runner_shrinks_random_requests_through_the_same_trees() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 10_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = generator().strategy(RandomClass::Valid);
    let result = runner.run(&strategy, |request| {
        let gender = json(&request).and_then(|b| b.get("gender"));
        prop_assert_ne!(gender, Some(&Value::String("Other".into())));
        Ok(())
    });
    let Err(proptest::test_runner::TestError::Fail(_, minimal)) = result else {
        panic!("some random payload sends gender=Other: {result:?}");
    };
    let body = json(&minimal).expect("JSON");
    let keys = top_level_keys(body);
    assert_eq!(
        keys.len(),
        8,
        "the seven required fields plus gender: {body}"
    );
    assert_eq!(body["gender"], "Other");
    assert!(validator().is_valid(body));
}

#[test]
fn a_failure_on_one_optional_enum_value_shrinks_to_the_required_fields_plus_that_value() {
    let fails = |r: &PlannedRequest| {
        json(r).and_then(|b| b.get("gender")) == Some(&Value::String("Other".into()))
    };
    let index = (0..10_000)
        .find(|i| fails(&generator().random(9, RandomClass::Valid, *i)))
        .expect("some random payload sends gender=Other");
    let minimal = shrink(RandomClass::Valid, 9, index, fails);
    let body = json(&minimal).expect("JSON");
    let keys = top_level_keys(body);
    let expected: BTreeSet<&str> = [
        "lastName",
        "dob",
        "firstName",
        "address1",
        "countryCode",
        "city",
        "state",
        "gender",
    ]
    .into();
    assert_eq!(keys, expected);
    assert_eq!(body["city"], "");
    assert_eq!(body["countryCode"], "AF");
    assert!(validator().is_valid(body));
}

#[test]
fn shrinking_a_valid_payload_leads_to_absent_optionals_empty_strings_zero_numbers() {
    let minimal = shrink(RandomClass::Valid, 1, 4, |_| true);
    let body = json(&minimal).expect("JSON");
    let object = body.as_object().expect("object");
    assert_eq!(object.len(), 7, "{body}");
    assert_eq!(body["lastName"], "");
    assert_eq!(body["countryCode"], "AF");
    let has_latitude = |r: &PlannedRequest| json(r).and_then(|b| b.get("latitude")).is_some();
    let index = (0..1_000)
        .find(|i| has_latitude(&generator().random(1, RandomClass::Valid, *i)))
        .expect("some random payload sends a latitude");
    let numbers = shrink(RandomClass::Valid, 1, index, has_latitude);
    assert_eq!(json(&numbers).expect("JSON")["latitude"], 0);
}

#[test]
fn shrinking_an_invalid_payload_keeps_its_mutation() {
    for index in 0..20 {
        let original = generator().random(2, RandomClass::Invalid, index);
        let minimal = shrink(RandomClass::Invalid, 2, index, |_| true);
        assert_eq!(minimal.reason, original.reason);
        assert_rejected_for(json(&minimal).expect("JSON"), &minimal.reason);
    }
}

#[test]
fn generator_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Generator>();
    shared::<Arc<Generator>>();
    // A shrink runs as a task of its own, so its tree must move between threads.
    fn movable<T: Send>() {}
    movable::<specgate::generate::Shrinker>();
}

/// A case the generator has never seen: nested objects behind a `$ref`, integers, booleans,
/// arrays, a nullable field. No Rust knows its fields.
const NESTED_SCHEMA: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "address"],
  "properties": {
    "id": { "type": "integer", "minimum": 1 },
    "active": { "type": "boolean" },
    "tags": { "type": "array", "items": { "type": "string", "maxLength": 5 } },
    "note": { "type": ["string", "null"] },
    "address": { "$ref": "#/$defs/Address" }
  },
  "$defs": {
    "Address": {
      "type": "object",
      "required": ["street"],
      "properties": {
        "street": { "type": "string", "minLength": 1 },
        "kind": { "enum": ["home", "work"] },
        "since": { "type": "string", "format": "date" }
      }
    }
  }
}"##;

const NESTED_CASE: &str = r#"name = "nested"
method = "PUT"
path = "/things"

[request]
schema = "nested.json"

[expect]
valid = ["200"]
invalid = ["400"]
"#;

#[test]
fn a_new_case_with_nested_refs_needs_no_new_rust() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("nested.toml"), NESTED_CASE).expect("case");
    std::fs::write(dir.path().join("nested.json"), NESTED_SCHEMA).expect("schema");
    let operation = load_case(&dir.path().join("nested.toml")).expect("loads");
    let generator = Arc::new(Generator::new(Arc::new(operation)).expect("builds"));
    let validator = generator.operation().request_schema.validator();
    assert_eq!(generator.contradictions(), 0);
    let options = PlanOptions {
        seed: 1,
        examples: 200,
    };
    let planned: Vec<_> = plan(vec![Arc::clone(&generator)], options).collect();
    let reasons: HashSet<String> = planned.iter().map(|r| r.reason.to_string()).collect();
    for wanted in [
        "enum-value: /address/kind=work",
        "missing-required: id,address",
        "missing-required: /address/street",
        "wrong-type: /address/street=integer",
        "bad-format: /address/since=2023-13-45",
        "boundary: id=large",
        "optional-field: /address/kind",
    ] {
        assert!(reasons.contains(wanted), "no `{wanted}` in {reasons:?}");
    }
    assert!(!reasons.iter().any(|r| r.starts_with("null: note")));
    assert!(!reasons.iter().any(|r| r.starts_with("auth-")));
    let [_, invalid] = assert_every_form_of_a_random_request_agrees(&generator, 500);
    // `$ref` and `minLength` make the schema one whose draws are checked: each is checked
    // as a value, then sent as its bytes.
    assert!(
        (1..=500).contains(&invalid),
        "{invalid} of 500 invalid requests serialised"
    );
    for request in &planned {
        let Body::Json(body) = &request.body else {
            continue;
        };
        match request.expect {
            Expect::Accept => assert!(validator.is_valid(body), "{}: {body}", request.id),
            Expect::Reject => assert_rejected_by(&validator, body, &request.reason),
            Expect::Unauthorized => panic!("no auth in this case"),
        }
    }
}

// ---- the binary ----

fn specgate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(args)
        .current_dir(root())
        .env("SPECGATE_API_KEY", "real-secret-key-never-printed")
        .output()
        .expect("specgate runs")
}

fn cases_dir() -> String {
    root().join("cases").display().to_string()
}

#[test]
fn plan_prints_one_json_line_per_request_with_a_key_placeholder() {
    let cases = cases_dir();
    let output = specgate(&["plan", "--cases", &cases, "--examples", "5"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(!text.contains("real-secret-key-never-printed"));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), generator().coverage().len() + 10);
    for line in &lines {
        for key in ["case", "id", "expect", "reason", "headers"] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert!(line.get("body").is_some() != line.get("raw_body").is_some());
        let key = line["headers"].get("api_key");
        let expected = match line["reason"].as_str() {
            Some("auth-missing") => None,
            Some("auth-wrong") => Some("specgate-wrong-key"),
            _ => Some("${SPECGATE_API_KEY}"),
        };
        assert_eq!(key.and_then(Value::as_str), expected, "{line}");
    }
    let by_id = |id: &str| lines.iter().find(|l| l["id"] == id).cloned();
    let empty = by_id("sessionlink-v2:bad-body:empty").expect("empty body");
    assert_eq!(empty["raw_body"], "");
    let missing = by_id("sessionlink-v2:missing-required:city,state").expect("missing");
    assert_eq!(missing["reason"], "missing-required: city,state");
    assert_eq!(missing["expect"], "reject");
}

#[test]
fn the_same_seed_gives_a_byte_identical_plan_and_another_seed_changes_only_the_random_part() {
    let cases = cases_dir();
    let run = |seed: &str| {
        specgate(&[
            "plan",
            "--cases",
            &cases,
            "--seed",
            seed,
            "--examples",
            "50",
        ])
        .stdout
    };
    let (first, again, other) = (run("7"), run("7"), run("8"));
    assert_eq!(first, again);
    let coverage = generator().coverage().len();
    let split = |bytes: &[u8]| {
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        (lines[..coverage].to_vec(), lines[coverage..].to_vec())
    };
    let (first_coverage, first_random) = split(&first);
    let (other_coverage, other_random) = split(&other);
    assert_eq!(first_coverage, other_coverage);
    assert_eq!(first_random.len(), 100);
    let differing = first_random
        .iter()
        .zip(&other_random)
        .filter(|(a, b)| a != b)
        .count();
    assert!(differing > 90, "only {differing} random lines changed");
}

#[test]
fn plan_summary_reports_full_enum_and_required_subset_coverage() {
    let cases = cases_dir();
    let output = specgate(&["plan", "--cases", &cases, "--summary"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    insta::assert_snapshot!("plan_summary", text);
}

#[test]
fn a_closed_pipe_ends_the_plan_quietly() {
    let cases = cases_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(["plan", "--cases", &cases, "--examples", "1000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 4096];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn plan_with_a_missing_cases_folder_exits_with_code_2() {
    let missing: PathBuf = root().join("no-such-cases-folder");
    let output = specgate(&["plan", "--cases", &missing.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-cases-folder"));
}
