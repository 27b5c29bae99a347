//! Swagger 2.0: a pet store written in 2.0 (body, formData, path, query and header
//! parameters, enums, `definitions` with references, top-level parameters and responses, an
//! API-key security definition) is read into the same model as 3.x, imports, runs conformant
//! against its own sandbox over real HTTP and has a fault caught; what a conversion cannot
//! make is `untested` at its place in the 2.0 file.

use crate::common::*;
use specgate::openapi;
use std::path::Path;

const PETSTORE: &str = "tests/data/swagger2/petstore.yaml";
const UNCONVERTIBLE: &str = "tests/data/swagger2/unconvertible.yaml";

fn draft<'a>(document: &'a openapi::Document, id: &str) -> &'a openapi::CaseDraft {
    document
        .drafts
        .iter()
        .find(|d| d.operation_id == id)
        .unwrap_or_else(|| panic!("{id} not read: {:?}", document.problems))
}

#[test]
fn a_swagger_2_document_is_read_into_the_3_x_model_with_2_0_places() {
    let document = openapi::read(Path::new(PETSTORE)).unwrap();
    assert!(document.problems.is_empty(), "{:?}", document.problems);
    assert_eq!(
        document.base_path, "/v2",
        "host, basePath and schemes → servers"
    );
    assert_eq!(document.drafts.len(), 4);
    let add = draft(&document, "addPet");
    assert_eq!(add.request.as_ref().unwrap().media, "application/json");
    let form = draft(&document, "updatePetWithForm");
    assert_eq!(
        form.request.as_ref().unwrap().media,
        "application/x-www-form-urlencoded"
    );
    // A path-level `$ref` to a top-level parameter: merged, and placed where 2.0 writes it.
    let pet_id = &form.parameters[0];
    assert_eq!(pet_id.name, "petId");
    assert_eq!(pet_id.at.pointer, "/parameters/PetId");
    let list = draft(&document, "listPets");
    let status = list.parameters.iter().find(|p| p.name == "status").unwrap();
    // 2.0's default `csv` is a 3.x form without explode.
    assert_eq!(status.style.as_deref(), Some("form"));
    assert_eq!(status.explode, Some(false));
    assert_eq!(status.schema["items"]["enum"][2], "sold");
    assert!(list.parameters.iter().any(|p| p.name == "X-Request-Id"));
    assert_eq!(list.auth.len(), 1, "the apiKey security definition");
}

#[test]
fn a_swagger_2_document_runs_conformant_against_its_own_sandbox_and_a_fault_is_found() {
    let stdout = openapi_runs_conformant(PETSTORE, "10");
    for coverage in [
        "add-pet: enum values 3/3",
        "update-pet-with-form: enum values 3/3",
    ] {
        assert!(stdout.contains(coverage), "{coverage}: {stdout}");
    }

    let folder = tempfile::tempdir().unwrap();
    let document = openapi::read(Path::new(PETSTORE)).unwrap();
    let imported = openapi::write_cases(&document, folder.path(), None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, &["accept-length-off-by-one"], KEY);
    let output = specgate(
        &[
            "run",
            "--openapi",
            PETSTORE,
            "--base-url",
            &sandbox.base_url,
            "--examples",
            "10",
            "--drift",
            "off",
        ],
        &[],
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("[accepts-invalid] add-pet"), "{stdout}");
}

#[test]
fn what_a_conversion_cannot_make_is_untested_at_its_2_0_place_and_the_rest_runs() {
    let output = specgate(&["run", "--openapi", UNCONVERTIBLE, "--drift", "off"], &[]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{console}");
    assert!(
        console.contains("untested:search:#/paths/~1search/get/parameters/0"),
        "{console}"
    );
    assert!(console.contains("collectionFormat: tsv"), "{console}");
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let output = specgate(&["import", UNCONVERTIBLE, "--out", &out], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{UNCONVERTIBLE}#/paths/~1search/get/parameters/0")),
        "{stderr}"
    );
    assert!(folder.path().join("cases/version.toml").exists());
    assert!(!folder.path().join("cases/search.toml").exists());
}

/// Every operation of the Swagger 2.0 examples of `@readme/oas-examples`, counted from the
/// documents' own `paths`.
fn operations_in(file: &Path) -> usize {
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let methods = ["get", "put", "post", "delete", "options", "head", "patch"];
    document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| methods.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

#[test]
fn every_swagger_2_example_imports_whole_and_runs_conformant_against_its_own_sandbox() {
    let folder = workdir().join("tests/data/oas-examples/2.0/json");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut documents, mut operations) = (0, 0);
    for file in &files {
        let document = openapi::read(file).unwrap();
        let path = file.display().to_string();
        assert!(
            document.problems.is_empty(),
            "{path}: {:?}",
            document.problems
        );
        assert_eq!(document.drafts.len(), operations_in(file), "{path}");
        let output = specgate(
            &[
                "run",
                "--openapi",
                &path,
                "--examples",
                "3",
                "--drift",
                "off",
            ],
            &[],
        );
        let stdout = text(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{path}: {stdout}{}",
            text(&output.stderr)
        );
        assert!(stdout.contains("CONFORMANT"), "{path}: {stdout}");
        documents += 1;
        operations += document.drafts.len();
    }
    eprintln!("{documents} Swagger 2.0 documents ({operations} operations) conformant");
    assert!(
        documents >= 7 && operations >= 35,
        "{documents} documents, {operations} operations"
    );
}
