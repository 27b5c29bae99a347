//! What `import` and the selecting flags tell a user, read as the user reads it, with
//! `tests/data/messages/partly-expressible.yaml`: an operation written whole, one the case
//! format cannot express, one no request satisfies and one written without its example.
//! Operations are named by their `operationId`; the fix is a command the user can run (with
//! `--exclude-operation ID`), not a file they do not have; nothing points at the temporary
//! folders an import stages in; a typo gets a few nearest ids, never the whole list.

use crate::common::*;

const PARTLY: &str = "tests/data/messages/partly-expressible.yaml";

/// `specgate ARGS`: its exit code and its stdout and stderr together.
fn console(args: &[&str]) -> (Option<i32>, String) {
    let output = specgate(args, &[]);
    let both = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (output.status.code(), both)
}

/// The start of the folders an import stages in (`tempfile`'s `.tmpXXXXXX` in the system's
/// temporary folder), as a message would spell them.
fn staged_folder() -> String {
    let folder = std::env::temp_dir();
    format!(
        "{}/.tmp",
        folder.display().to_string().trim_end_matches('/')
    )
}

#[test]
fn the_import_names_each_operation_left_out_by_its_id_and_its_fix_leaves_them_out() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let (code, message) = console(&["import", PARTLY, "--out", &dir]);
    assert_eq!(code, Some(2), "{message}");
    assert!(
        message.contains("2 of the 4 operation(s)"),
        "how many of how many: {message}"
    );
    // Each by its operationId (not its case name), with the reason at its place.
    assert!(message.contains("\n  search\n"), "{message}");
    assert!(message.contains("\n  makeImpossible\n"), "{message}");
    assert!(!message.contains("make-impossible"), "{message}");
    assert!(
        message.contains(&format!("{PARTLY}#/paths/~1search/get/parameters/0")),
        "{message}"
    );
    // The fix (the message's own, after each operation's) is a command that works: it names
    // the ids to leave out.
    let fix = message
        .lines()
        .rfind(|l| l.starts_with("  fix:"))
        .unwrap_or_else(|| panic!("a fix line: {message}"));
    assert!(
        fix.contains("--exclude-operation search")
            && fix.contains("--exclude-operation makeImpossible"),
        "{fix}"
    );
    assert!(
        !fix.contains(".toml"),
        "no file the user does not have: {fix}"
    );
    // And it does: the rest imports, exit 0.
    let (code, message) = console(&[
        "import",
        PARTLY,
        "--out",
        &dir,
        "--exclude-operation",
        "search",
        "--exclude-operation",
        "makeImpossible",
    ]);
    assert_eq!(code, Some(0), "{message}");
    assert!(message.contains("wrote 2 case(s)"), "{message}");
}

#[test]
fn the_import_names_each_operation_written_without_an_example() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let (_, message) = console(&["import", PARTLY, "--out", &dir]);
    let warning = message
        .lines()
        .find(|l| l.contains("written without an example"))
        .unwrap_or_else(|| panic!("a warning: {message}"));
    assert!(
        warning.contains("createNote written without an example"),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("{PARTLY}#/paths/~1notes/post/requestBody")),
        "at its place in the document: {warning}"
    );
    assert!(out.path().join("cases/create-note.toml").exists());
}

#[test]
fn no_message_points_at_a_temporary_folder() {
    let staged = staged_folder();
    let out = tempfile::Builder::new()
        .prefix("messages-")
        .tempdir()
        .unwrap();
    let dir = out.path().display().to_string();
    let (_, import) = console(&["import", PARTLY, "--out", &dir]);
    // makeImpossible's schema is refused where the document has it, not in a staged file.
    assert!(
        import.contains(&format!("{PARTLY}#/paths/~1impossible/post/requestBody")),
        "{import}"
    );
    let (_, run) = console(&["run", "--openapi", PARTLY, "--drift", "off"]);
    let (_, plan) = console(&["plan", "--openapi", PARTLY]);
    for (command, message) in [("import", &import), ("run", &run), ("plan", &plan)] {
        assert!(
            !message.contains(&staged),
            "{command} names a temporary file:\n{message}"
        );
    }
    assert!(run.contains("untested"), "{run}");
}

#[test]
fn a_typo_in_operation_gets_a_few_nearest_ids_in_every_command() {
    for command in ["plan", "run", "import"] {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().display().to_string();
        let args: Vec<&str> = match command {
            "import" => vec!["import", PARTLY, "--out", &dir, "--operation", "serch"],
            _ => vec![command, "--openapi", PARTLY, "--operation", "serch"],
        };
        let (code, message) = console(&args);
        assert_eq!(code, Some(2), "{command}: {message}");
        assert!(
            message.contains("--operation serch") && message.contains("did you mean search"),
            "{command}: {message}"
        );
        assert!(message.len() < 400, "{command}: a short list: {message}");
        assert!(
            !out.path().join("cases").exists(),
            "{command}: nothing written on a typo"
        );
    }
}

#[test]
fn operation_with_cases_selects_case_names_and_a_typo_is_an_error() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let (code, message) = console(&["import", PARTLY, "--out", &dir, "--operation", "listItems"]);
    assert_eq!(code, Some(0), "{message}");
    assert!(message.contains("wrote 1 case(s)"), "{message}");
    let cases = out.path().join("cases").display().to_string();
    let (code, message) = console(&["plan", "--cases", &cases, "--operation", "list-itmes"]);
    assert_eq!(code, Some(2), "never silently ignored: {message}");
    assert!(message.contains("did you mean list-items"), "{message}");
    let (code, plan) = console(&["plan", "--cases", &cases, "--operation", "list-items"]);
    assert_eq!(code, Some(0), "{plan}");
    assert!(plan.contains("\"case\":\"list-items\""), "{plan}");
}
