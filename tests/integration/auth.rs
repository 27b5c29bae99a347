//! Auth schemes beyond an API-key header: bearer, basic and a key in a cookie, imported from
//! an OpenAPI document, sent by a run, checked by the sandbox, probed for enforcement, and
//! never written out (a basic credential not even in base64).

use crate::common::*;
use std::path::Path;

/// An OpenAPI document of one JSON-body operation secured by `scheme` (a Security Scheme
/// Object in YAML flow style).
fn document(folder: &Path, scheme: &str) -> std::path::PathBuf {
    api(folder, &format!("partner: {scheme}"), "[{partner: []}]")
}

/// An OpenAPI document of one JSON-body operation: `schemes` are the lines under
/// `securitySchemes`, `requirements` its `security` (YAML flow style).
fn api(folder: &Path, schemes: &str, requirements: &str) -> std::path::PathBuf {
    let path = folder.join("api.yaml");
    let text = format!(
        r#"openapi: 3.0.3
info: {{title: t, version: '1'}}
components:
  securitySchemes:
    {schemes}
security: {requirements}
paths:
  /orders:
    post:
      operationId: createOrder
      requestBody:
        content:
          application/json:
            schema: {{type: object, required: [sku], properties: {{sku: {{type: string, maxLength: 6}}}}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {{type: object, required: [id], properties: {{id: {{type: integer}}}}}}
        '401': {{description: no key}}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Import the document, serve it with `faults`, run against it: (exit code, everything the
/// run wrote: console and JSON report).
fn run(scheme: &str, faults: &[&str]) -> (i32, String) {
    let folder = tempfile::tempdir().unwrap();
    let document = document(folder.path(), scheme);
    let out = folder.path().join("out");
    let read = specgate::openapi::read(&document).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let imported = specgate::openapi::write_cases(&read, &out, None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, faults, KEY);
    run_writing_all(&imported.cases_dir, &sandbox.base_url, &[], &[])
}

const SCHEMES: [(&str, &str); 4] = [
    ("bearer", "{type: http, scheme: bearer}"),
    ("basic", "{type: http, scheme: basic}"),
    ("cookie", "{type: apiKey, in: cookie, name: session}"),
    ("header", "{type: apiKey, in: header, name: X-Partner-Key}"),
];

#[test]
fn every_scheme_is_sent_as_the_sandbox_expects_and_never_written() {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(KEY);
    for (name, scheme) in SCHEMES {
        let (code, written) = run(scheme, &[]);
        assert_eq!(code, 0, "{name}: {written}");
        assert!(written.contains("CONFORMANT"), "{name}: {written}");
        assert!(
            !written.contains(KEY) && !written.contains(&encoded),
            "{name} leaked"
        );
    }
}

#[test]
fn an_unchecked_key_is_found_for_every_scheme() {
    for (name, scheme) in SCHEMES {
        let (code, written) = run(scheme, &["auth-not-enforced"]);
        assert_eq!(code, 1, "{name}: {written}");
        assert!(written.contains("[auth-not-enforced]"), "{name}: {written}");
    }
}

#[test]
fn the_plan_and_curl_lines_show_each_scheme_with_the_key_from_the_environment() {
    let folder = tempfile::tempdir().unwrap();
    let document = document(folder.path(), "{type: http, scheme: bearer}");
    let doc = document.display().to_string();
    let output = specgate(&["plan", "--openapi", &doc, "--examples", "0"], &[]);
    let plan = text(&output.stdout);
    assert!(
        plan.contains(r#""authorization":"Bearer ${SPECGATE_API_KEY}""#),
        "{plan}"
    );
    assert!(
        plan.contains(r#""authorization":"Bearer specgate-wrong-key""#),
        "{plan}"
    );
}

#[test]
fn a_scheme_without_what_it_needs_names_the_line_and_the_fix() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy("cases/sessionlink-v2.toml", folder.path().join("c.toml")).unwrap();
    let case = std::fs::read_to_string(folder.path().join("c.toml"))
        .unwrap()
        .replace("header = \"api_key\"", "scheme = \"cookie\"")
        .replace("../schemas/", &format!("{}/schemas/", workdir().display()));
    std::fs::write(folder.path().join("c.toml"), case).unwrap();
    let dir = folder.path().display().to_string();
    let output = specgate(&["plan", "--cases", &dir], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`scheme = \"cookie\"` needs `cookie`"),
        "{stderr}"
    );
}

/// An OpenAPI document of one operation whose `security` is `requirements`, with two
/// API-key headers and a bearer scheme declared.
fn secured_by(folder: &Path, requirements: &str) -> std::path::PathBuf {
    let schemes = "appKey: {type: apiKey, in: header, name: X-App-Key}
    appToken: {type: apiKey, in: header, name: X-App-Token}
    bearer: {type: http, scheme: bearer}";
    api(folder, schemes, requirements)
}

/// Import `requirements`, serve them with the test key: (cases folder, sandbox, temp dir).
fn serve_secured(requirements: &str) -> (std::path::PathBuf, TestSandbox, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let document = secured_by(folder.path(), requirements);
    let read = specgate::openapi::read(&document).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let imported = specgate::openapi::write_cases(&read, &folder.path().join("out"), None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    (imported.cases_dir, sandbox, folder)
}

/// The status of a POST of a valid order carrying `headers`.
fn post_status(base_url: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{base_url}/orders"))
        .header("content-type", "application/json")
        .body(r#"{"sku": "A1"}"#);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async { request.send().await.unwrap().status().as_u16() })
}

#[test]
fn a_scheme_pair_is_imported_sent_together_each_from_its_own_variable_and_never_written() {
    let (cases, sandbox, _folder) = serve_secured("[{appKey: [], appToken: []}]");
    let case = std::fs::read_to_string(cases.join("create-order.toml")).unwrap();
    assert_eq!(case.matches("[[auth]]").count(), 2, "{case}");
    assert!(case.contains("env = \"SPECGATE_APPKEY\""), "{case}");
    assert!(case.contains("env = \"SPECGATE_APPTOKEN\""), "{case}");
    assert!(!case.contains("alternative ="), "one requirement: {case}");

    // The sandbox wants both.
    let key = ("x-app-key", KEY);
    let token = ("x-app-token", KEY);
    assert_eq!(post_status(&sandbox.base_url, &[key, token]), 201);
    assert_eq!(post_status(&sandbox.base_url, &[key]), 401);
    assert_eq!(post_status(&sandbox.base_url, &[token]), 401);

    let both = [("SPECGATE_APPKEY", KEY), ("SPECGATE_APPTOKEN", KEY)];
    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &both);
    assert_eq!(code, 0, "{written}");
    assert!(written.contains("CONFORMANT"), "{written}");
    assert!(!written.contains(KEY), "a secret was written");

    let dir = cases.display().to_string();
    let plan = text(&specgate(&["plan", "--cases", &dir, "--examples", "0"], &[]).stdout);
    assert!(
        plan.contains(r#""x-app-key":"${SPECGATE_APPKEY}""#)
            && plan.contains(r#""x-app-token":"${SPECGATE_APPTOKEN}""#),
        "{plan}"
    );

    let one = [("SPECGATE_APPKEY", KEY)];
    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &one);
    assert_eq!(code, 2, "{written}");
    assert!(
        written.contains("the key of create-order is not set: export SPECGATE_APPTOKEN=..."),
        "{written}"
    );
}

#[test]
fn two_oauth2_schemes_required_together_share_one_bearer_token() {
    // Google's documents require `Oauth2` (implicit) and `Oauth2c` (authorization code)
    // together: both travel in `Authorization`, so one token with both scopes serves them.
    let folder = tempfile::tempdir().unwrap();
    let flow = |kind: &str| {
        format!("{{type: oauth2, flows: {{{kind}: {{authorizationUrl: https://accounts.example/o, tokenUrl: https://accounts.example/t, scopes: {{read: r, write: w}}}}}}}}")
    };
    let schemes = format!(
        "Oauth2: {}\n    Oauth2c: {}",
        flow("implicit").replace(", tokenUrl: https://accounts.example/t", ""),
        flow("authorizationCode")
    );
    let document = api(
        folder.path(),
        &schemes,
        "[{Oauth2: [read], Oauth2c: [write]}]",
    );
    let read = specgate::openapi::read(&document).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let imported = specgate::openapi::write_cases(&read, &folder.path().join("out"), None).unwrap();
    let case = std::fs::read_to_string(imported.cases_dir.join("create-order.toml")).unwrap();
    assert!(
        case.contains("[auth]\nscheme = \"bearer\"\nenv = \"SPECGATE_OAUTH2\"\n")
            && !case.contains("[[auth]]"),
        "one bearer token: {case}"
    );
    assert!(
        case.contains("`Oauth2` is OAuth2, `Oauth2c` is OAuth2: specgate does not run their flows. Put an access token with the scopes read, write (one token for them all"),
        "{case}"
    );

    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        post_status(&sandbox.base_url, &[("authorization", &bearer)]),
        201
    );
    assert_eq!(post_status(&sandbox.base_url, &[]), 401);
    let token = [("SPECGATE_OAUTH2", KEY)];
    let (code, written) = run_writing_all(&imported.cases_dir, &sandbox.base_url, &[], &token);
    assert_eq!(code, 0, "{written}");
    assert!(written.contains("CONFORMANT"), "{written}");
    assert!(!written.contains(KEY), "a secret was written");
}

#[test]
fn of_alternatives_the_first_whose_secrets_are_set_is_sent_and_named() {
    let (cases, sandbox, _folder) = serve_secured("[{appKey: [], appToken: []}, {bearer: []}]");
    let case = std::fs::read_to_string(cases.join("create-order.toml")).unwrap();
    assert_eq!(case.matches("alternative = 1").count(), 2, "{case}");
    assert_eq!(case.matches("alternative = 2").count(), 1, "{case}");

    // A server accepts either alternative.
    let bearer = format!("Bearer {KEY}");
    assert_eq!(
        post_status(&sandbox.base_url, &[("authorization", &bearer)]),
        201
    );
    let pair = [("x-app-key", KEY), ("x-app-token", KEY)];
    assert_eq!(post_status(&sandbox.base_url, &pair), 201);
    assert_eq!(post_status(&sandbox.base_url, &pair[..1]), 401);

    let only_bearer = [("SPECGATE_BEARER", KEY)];
    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &only_bearer);
    assert_eq!(code, 0, "{written}");
    assert!(
        written.contains(
            "specgate: create-order sends security alternative 2 of 2: `authorization` header ($SPECGATE_BEARER)"
        ),
        "{written}"
    );
    assert!(!written.contains(KEY), "a secret was written");

    let all = [
        ("SPECGATE_APPKEY", KEY),
        ("SPECGATE_APPTOKEN", KEY),
        ("SPECGATE_BEARER", KEY),
    ];
    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &all);
    assert_eq!(code, 0, "{written}");
    assert!(
        written.contains("sends security alternative 1 of 2: `x-app-key` header ($SPECGATE_APPKEY) + `x-app-token` header ($SPECGATE_APPTOKEN)"),
        "{written}"
    );

    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &[]);
    assert_eq!(code, 2, "{written}");
    assert!(
        written.contains(
            "no security alternative of create-order has all its secrets set: export SPECGATE_APPKEY=... and SPECGATE_APPTOKEN=..., or SPECGATE_BEARER=..."
        ),
        "{written}"
    );
}

#[test]
fn two_secrets_of_one_alternative_in_one_place_are_refused_naming_both() {
    let (cases, _sandbox, _folder) = serve_secured("[{appKey: [], appToken: []}]");
    let file = cases.join("create-order.toml");
    let case = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"X-App-Token\"", "\"x-app-key\"");
    std::fs::write(&file, case).unwrap();
    let dir = cases.display().to_string();
    let output = specgate(&["plan", "--cases", &dir], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("create-order.toml"), "{stderr}");
    assert!(
        stderr.contains(
            "the secrets of $SPECGATE_APPKEY and $SPECGATE_APPTOKEN (alternative 1) both travel in the `x-app-key` header"
        ),
        "{stderr}"
    );
}

#[test]
fn the_builtin_sandbox_run_of_a_document_with_alternatives_is_conformant() {
    let folder = tempfile::tempdir().unwrap();
    let document = secured_by(folder.path(), "[{appKey: [], appToken: []}, {bearer: []}]");
    let doc = document.display().to_string();
    let output = specgate(
        &[
            "run",
            "--openapi",
            &doc,
            "--examples",
            "5",
            "--drift",
            "off",
        ],
        &[("CI", "true")],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{console}");
    assert!(console.contains("CONFORMANT"), "{console}");
}

/// One operation secured by an OAuth2 client whose token endpoint is the sandbox's.
fn oauth_document(folder: &Path) -> std::path::PathBuf {
    let scheme = "{type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {orders.write: write}}}}";
    api(
        folder,
        &format!("partner: {scheme}"),
        "[{partner: [orders.write]}]",
    )
}

/// The number after `requests:` in a run's console.
fn requests_sent(console: &str) -> u64 {
    let after = console.split("requests: ").nth(1).unwrap_or_default();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

#[test]
fn an_oauth2_client_gets_its_token_renews_it_after_a_401_and_never_writes_it() {
    let folder = tempfile::tempdir().unwrap();
    let document = oauth_document(folder.path());
    let read = specgate::openapi::read(&document).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let out = folder.path().join("out");
    let imported = specgate::openapi::write_cases(&read, &out, None).unwrap();
    let case = std::fs::read_to_string(imported.cases_dir.join("create-order.toml")).unwrap();
    for line in [
        "scheme = \"oauth2-client-credentials\"",
        "token_url = \"/oauth/token\"",
        "client_id_env = \"SPECGATE_API_KEY_CLIENT_ID\"",
        "scopes = [\"orders.write\"]",
    ] {
        assert!(case.contains(line), "{line} in {case}");
    }

    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    let client_id = [("SPECGATE_API_KEY_CLIENT_ID", "client-7")];
    // --strict: a valid request refused once and accepted when confirmed (flaky) fails.
    // 1,200 random requests of each class, so tokens run out twice.
    let many = ["--examples", "1200", "--strict"];
    let (code, written) =
        run_writing_all(&imported.cases_dir, &sandbox.base_url, &many, &client_id);
    assert_eq!(code, 0, "{written}");
    assert!(written.contains("CONFORMANT"), "{written}");
    // The sandbox lets each token in for TOKEN_USES requests: a run that sent more with a
    // valid token and stayed conformant renewed it after the 401.
    let uses = u64::from(specgate::sandbox::token::TOKEN_USES);
    assert!(requests_sent(&written) > 2 * uses, "{written}");
    assert!(!written.contains("flaky:"), "{written}");
    assert!(!written.contains("sbx-token-"), "a token was written");
    assert!(!written.contains(KEY), "the client secret was written");

    let wrong = [
        ("SPECGATE_API_KEY_CLIENT_ID", "client-7"),
        ("SPECGATE_API_KEY", "not-the-secret"),
    ];
    let (code, written) = run_writing_all(&imported.cases_dir, &sandbox.base_url, &[], &wrong);
    assert_eq!(code, 3, "{written}");
    assert!(
        written.contains("cannot obtain an OAuth2 token from http://127.0.0.1:")
            && written.contains("/oauth/token: it answered 401 Unauthorized"),
        "{written}"
    );
    assert!(
        written.contains(
            "fix: check $SPECGATE_API_KEY_CLIENT_ID, $SPECGATE_API_KEY and the scheme's token_url"
        ),
        "{written}"
    );
    assert!(
        !written.contains("not-the-secret"),
        "the client secret was written"
    );
}

#[test]
fn the_sandbox_token_endpoint_issues_tokens_only_to_its_client_and_checks_them() {
    let folder = tempfile::tempdir().unwrap();
    let document = oauth_document(folder.path());
    let read = specgate::openapi::read(&document).unwrap();
    let imported = specgate::openapi::write_cases(&read, &folder.path().join("out"), None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    let token_url = sandbox.base_url.replace("/v1", "/oauth/token");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let token = |secret: &str| {
        let request = client
            .post(&token_url)
            .basic_auth("client-7", Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        runtime.block_on(async {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        })
    };
    let (status, refused) = token("wrong");
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, issued) = token(KEY);
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["token_type"], "Bearer");
    let access = issued["access_token"].as_str().unwrap().to_owned();

    let bearer = format!("Bearer {access}");
    assert_eq!(
        post_status(&sandbox.base_url, &[("authorization", &bearer)]),
        201
    );
    let forged = format!("Bearer {KEY}");
    assert_eq!(
        post_status(&sandbox.base_url, &[("authorization", &forged)]),
        401
    );
}

#[test]
fn against_the_builtin_sandbox_an_absolute_token_url_is_served_by_the_sandbox() {
    let folder = tempfile::tempdir().unwrap();
    let scheme = "{type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://auth.example.invalid/oauth/token', scopes: {}}}}";
    let document = api(
        folder.path(),
        &format!("partner: {scheme}"),
        "[{partner: []}]",
    );
    let doc = document.display().to_string();
    let output = specgate(
        &["run", "--openapi", &doc, "--drift", "off", "--strict"],
        &[("CI", "true")],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{console}");
    assert!(console.contains("CONFORMANT"), "{console}");
}

#[test]
fn diff_sends_a_scheme_pair_to_both_targets_as_run_does() {
    let (cases, candidate, _folder) = serve_secured("[{appKey: [], appToken: []}]");
    let reference = TestSandbox::serving(&cases, &[], KEY);
    // Its success bodies gain a field: seen only by requests both keys let in.
    let changed = TestSandbox::serving(&cases, &["drift-new-field"], KEY);
    let cases = cases.display().to_string();
    let diff = |candidate: &TestSandbox, envs: &[(&str, &str)]| {
        let args = [
            "diff",
            "--cases",
            &cases,
            "--base-url",
            candidate.base_url.as_str(),
            "--against",
            &reference.base_url,
        ];
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_specgate"));
        command.args(args).env_remove("SPECGATE_API_KEY");
        for (name, value) in envs {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
        (output.status.code(), console)
    };
    let (code, console) = diff(&candidate, &[("SPECGATE_APPKEY", KEY)]);
    assert_eq!(code, Some(2), "{console}");
    assert!(console.contains("export SPECGATE_APPTOKEN="), "{console}");
    let both = [("SPECGATE_APPKEY", KEY), ("SPECGATE_APPTOKEN", KEY)];
    let (code, console) = diff(&candidate, &both);
    assert_eq!(code, Some(0), "{console}");
    assert!(console.contains("SAME BEHAVIOUR"), "{console}");
    assert!(!console.contains(KEY), "a key was written: {console}");
    let (_, console) = diff(&changed, &both);
    assert!(
        console.contains("valid 201 /riskScore: new field"),
        "{console}"
    );
    assert!(!console.contains(KEY), "a key was written: {console}");
}

#[test]
fn the_suite_sends_what_run_sends_the_first_complete_alternative_each_secret_its_own() {
    let (cases, sandbox, folder) = serve_secured("[{appKey: [], appToken: []}, {bearer: []}]");
    let snapshots = folder.path().join("snapshots");
    let suite_with = |envs: &[(&str, &str)]| {
        let mut command = suite(&["--skip", "drift"]);
        command
            .env("SPECGATE_CASES", &cases)
            .env("SPECGATE_BASE_URL", &sandbox.base_url)
            .env("SPECGATE_SNAPSHOTS", &snapshots)
            .env("SPECGATE_EXAMPLES", "5");
        for env in [
            "SPECGATE_API_KEY",
            "SPECGATE_APPKEY",
            "SPECGATE_APPTOKEN",
            "SPECGATE_BEARER",
        ] {
            command.env_remove(env);
        }
        command.envs(envs.iter().copied());
        let output = command.output().unwrap();
        let log = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(!log.contains(KEY), "a secret was written: {log}");
        (output.status.success(), log)
    };

    // The second alternative, the only one set, is the one sent.
    let (passed, log) = suite_with(&[("SPECGATE_BEARER", KEY)]);
    assert!(passed && log.contains(" 0 failed"), "{log}");

    // Both schemes of the first, each from its own variable.
    let (passed, log) = suite_with(&[("SPECGATE_APPKEY", KEY), ("SPECGATE_APPTOKEN", KEY)]);
    assert!(passed && log.contains(" 0 failed"), "{log}");

    // Half an alternative is none: refused before anything is sent, naming what to export
    // (one key is never sent in another scheme's place).
    let (passed, log) = suite_with(&[("SPECGATE_APPKEY", KEY)]);
    assert!(!passed, "{log}");
    assert!(
        log.contains(
            "no security alternative of create-order has all its secrets set: export SPECGATE_APPKEY=... and SPECGATE_APPTOKEN=..., or SPECGATE_BEARER=..."
        ),
        "{log}"
    );
}
