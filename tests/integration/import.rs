//! `specgate import` you can trust: a re-import never overwrites a file it did not write, or
//! one changed since, without `--force`; whatever an import writes plans (exit 0 or not,
//! the cases it wrote are cases a run can use); its messages name the user's own files.

use crate::common::*;
use std::path::{Path, PathBuf};

const ORDERS: &str = "tests/data/orders.openapi.yaml";

fn import(document: &str, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = out.display().to_string();
    let mut args = vec!["import", document, "--out", &out];
    args.extend(extra);
    let output = specgate(&args, &[]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (output.status.code(), console)
}

#[test]
fn a_re_import_keeps_hand_edits_and_foreign_files_unless_forced() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path();
    let (code, console) = import(ORDERS, out, &[]);
    assert_eq!(code, Some(0), "{console}");
    assert!(out.join(".specgate-import.json").exists());
    // Unchanged: a re-import replaces its own files.
    let (code, console) = import(ORDERS, out, &[]);
    assert_eq!(code, Some(0), "{console}");

    let edited = out.join("cases/get-order.toml");
    let mut text_of = std::fs::read_to_string(&edited).unwrap();
    text_of.push_str("# a hand edit\n");
    std::fs::write(&edited, &text_of).unwrap();
    let (code, console) = import(ORDERS, out, &[]);
    assert_eq!(code, Some(2), "{console}");
    assert!(console.contains(&edited.display().to_string()), "{console}");
    assert!(console.contains("--force"), "{console}");
    assert_eq!(
        std::fs::read_to_string(&edited).unwrap(),
        text_of,
        "the edit is kept"
    );

    // A file the import did not write, where it would write one, is refused the same way.
    let other = tempfile::tempdir().unwrap();
    let foreign = other.path().join("cases/list-orders.toml");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    std::fs::write(&foreign, "# mine\n").unwrap();
    let (code, console) = import(ORDERS, other.path(), &[]);
    assert_eq!(code, Some(2), "{console}");
    assert!(
        console.contains(&foreign.display().to_string()),
        "{console}"
    );
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "# mine\n");
    assert!(
        !other.path().join("cases/get-order.toml").exists(),
        "nothing written"
    );

    let (code, console) = import(ORDERS, out, &["--force"]);
    assert_eq!(code, Some(0), "{console}");
    assert!(!std::fs::read_to_string(&edited)
        .unwrap()
        .contains("a hand edit"));
}

/// Each file under `folder`'s `cases` and `schemas`, with its inode, its link count and a
/// hash of its bytes.
fn files_with_inodes(folder: &Path) -> Vec<(PathBuf, u64, u64, u64)> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    let mut files = Vec::new();
    for sub in ["cases", "schemas"] {
        for entry in std::fs::read_dir(folder.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::metadata(&path).unwrap();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(&path).unwrap().hash(&mut hasher);
            files.push((path, metadata.ino(), metadata.nlink(), hasher.finish()));
        }
    }
    files.sort();
    files
}

/// An import again of an unchanged document leaves every file as it is (the same inode,
/// one name), so it frees and makes none; a file removed since is written again.
#[test]
fn an_unchanged_document_imports_again_without_replacing_a_file() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("api");
    let (code, console) = import(ORDERS, &out, &[]);
    assert_eq!(code, Some(0), "{console}");
    let first = files_with_inodes(&out);
    assert!(first.len() > 4, "{first:?}");
    assert!(first.iter().all(|(_, _, links, _)| *links == 1));

    let (code, console) = import(ORDERS, &out, &[]);
    assert_eq!(code, Some(0), "{console}");
    assert_eq!(files_with_inodes(&out), first);

    let removed = out.join("cases/get-order.toml");
    std::fs::remove_file(&removed).unwrap();
    let (code, console) = import(ORDERS, &out, &[]);
    assert_eq!(code, Some(0), "{console}");
    let again = files_with_inodes(&out);
    assert_eq!(again.len(), first.len());
    for ((path, inode, links, bytes), before) in again.iter().zip(&first) {
        assert_eq!((path, *bytes, *links), (&before.0, before.3, 1));
        // The one written again may take its old inode number: only the others are known.
        if *path != removed {
            assert_eq!(*inode, before.1, "{}", path.display());
        }
    }
}

/// The import stages beside DIR (so it publishes by renaming); whether it publishes or is
/// refused, nothing but DIR is left there.
#[test]
fn an_import_leaves_nothing_beside_its_folder() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("api");
    let left = || -> Vec<_> {
        std::fs::read_dir(parent.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    };
    let (code, console) = import(ORDERS, &out, &[]);
    assert_eq!(code, Some(0), "{console}");
    assert_eq!(left(), vec!["api"]);
    std::fs::write(out.join("cases/get-order.toml"), "# mine\n").unwrap();
    let (code, console) = import(ORDERS, &out, &[]);
    assert_eq!(code, Some(2), "{console}");
    assert_eq!(left(), vec!["api"]);
    let (code, console) = import(ORDERS, &out, &["--force"]);
    assert_eq!(code, Some(0), "{console}");
    assert_eq!(left(), vec!["api"]);
}

/// Every document under `folder`, JSON or YAML, sorted.
fn documents(folder: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            documents(&path, out);
        } else if path.extension().is_some_and(|e| e == "json" || e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn what_an_import_writes_always_plans() {
    let mut files = Vec::new();
    documents(&workdir().join("tests/data/oas-examples"), &mut files);
    documents(&workdir().join("tests/data/openapi"), &mut files);
    documents(&workdir().join("tests/data/swagger2"), &mut files);
    files.extend(
        ["orders.openapi.yaml", "orders-unlinked.openapi.yaml"]
            .map(|f| workdir().join("tests/data").join(f)),
    );
    files.sort();
    let (mut imported, mut whole, mut planned) = (0, 0, 0);
    for file in &files {
        let path = file.display().to_string();
        let folder = tempfile::tempdir().unwrap();
        let (code, console) = import(&path, folder.path(), &[]);
        let cases = folder.path().join("cases");
        if !cases.exists() {
            // Nothing written: a document without operations, or none expressible.
            assert!(console.contains("wrote 0 case(s)"), "{path}: {console}");
            continue;
        }
        imported += 1;
        whole += usize::from(code == Some(0));
        let cases = cases.display().to_string();
        let output = specgate(&["plan", "--cases", &cases, "--summary"], &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{path} imported ({console}) but does not plan: {}",
            text(&output.stderr)
        );
        planned += 1;
    }
    eprintln!(
        "{imported} of {} documents imported ({whole} whole), {planned} planned",
        files.len()
    );
    assert_eq!(planned, imported);
    assert!(
        imported >= 129 && whole >= 110,
        "{imported} documents imported, {whole} whole"
    );
}
