//! The command line as a person sees it: every `--help` is pinned by a snapshot, so a changed
//! flag or default shows up in review.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn top_level_help_lists_the_subcommands() {
    insta::assert_snapshot!("help", help(&["--help"]));
}

#[test]
fn run_help_documents_every_flag_and_the_exit_codes() {
    let text = help(&["run", "--help"]);
    for flag in [
        "--base-url",
        "--rate",
        "--max-requests",
        "--shard",
        "--drift-fail-on",
        "--update-snapshots",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
    insta::assert_snapshot!("help_run", text);
}

#[test]
fn plan_sandbox_and_report_merge_help() {
    insta::assert_snapshot!("help_plan", help(&["plan", "--help"]));
    insta::assert_snapshot!("help_sandbox", help(&["sandbox", "--help"]));
    insta::assert_snapshot!("help_report_merge", help(&["report", "merge", "--help"]));
}
