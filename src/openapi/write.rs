//! Writing drafts as case files (`DIR/cases/<name>.toml`) and schemas
//! (`DIR/schemas/<name>.request.json`, `.response-<status>.json`), each atomically, then
//! loading them back with [`crate::contract::load_cases`] so a written case always loads.

use super::operation::CaseDraft;
use super::{Document, Problem};
use crate::atomic_file;
use crate::contract::{load_cases, ContractError, Operation};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What an import wrote.
#[derive(Debug)]
pub struct Imported {
    /// The folder of the case files.
    pub cases_dir: PathBuf,
    /// The written cases, loaded back.
    pub operations: Vec<Operation>,
    /// Parts of the document that could not be expressed (including examples TOML cannot hold).
    pub problems: Vec<Problem>,
    /// Each written schema file (as a case file names it, `../schemas/NAME.json`) and the place
    /// in the document it was translated from, so errors about it can point there.
    pub origins: Vec<(String, super::Location)>,
}

impl Imported {
    /// `message` with every written schema's path replaced by the place in the document it
    /// came from: a person fixes the document, not a temporary file.
    pub fn explain(&self, message: &str) -> String {
        let mut explained = message.to_owned();
        let folder = self.cases_dir.display().to_string();
        for (file, origin) in &self.origins {
            let written = format!("{folder}/{file}");
            explained = explained.replace(&written, &format!("{origin} (imported as {file})"));
        }
        explained
    }
}

/// Why the import could not write or load its output.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A file could not be written.
    #[error(transparent)]
    File(#[from] atomic_file::WriteError),
    /// A written case does not load: a bug in the importer.
    #[error("a written case does not load (please report this): {0}")]
    Load(#[from] ContractError),
}

/// Write the drafts of `document` whose `operation_id` is in `pick` (all when `None`) under
/// `out`, and load them back.
pub fn write_cases(
    document: &Document,
    out: &Path,
    pick: Option<&BTreeSet<String>>,
) -> Result<Imported, WriteError> {
    let cases_dir = out.join("cases");
    let mut problems = document.problems.clone();
    let mut names = BTreeSet::new();
    let mut origins = Vec::new();
    let chosen = document
        .drafts
        .iter()
        .filter(|d| pick.is_none_or(|p| p.contains(&d.operation_id)));
    for draft in chosen {
        let name = unique(&mut names, &draft.name);
        origins.extend(write_case(draft, &name, out, &mut problems)?);
    }
    let operations = if names.is_empty() {
        Vec::new()
    } else {
        load_cases(&cases_dir)?
    };
    Ok(Imported {
        cases_dir,
        operations,
        problems,
        origins,
    })
}

fn unique(names: &mut BTreeSet<String>, wanted: &str) -> String {
    let mut name = wanted.to_owned();
    let mut suffix = 2;
    while !names.insert(name.clone()) {
        name = format!("{wanted}-{suffix}");
        suffix += 1;
    }
    name
}

fn write_case(
    draft: &CaseDraft,
    name: &str,
    out: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Vec<(String, super::Location)>, WriteError> {
    let schemas = out.join("schemas");
    let request_file = format!("{name}.request.json");
    write_json(&schemas.join(&request_file), &draft.request.1)?;
    let origin = |keys: &str| super::Location {
        file: draft.at.file.clone(),
        pointer: format!("{}/{keys}", draft.at.pointer),
    };
    let mut origins = vec![(format!("../schemas/{request_file}"), origin("requestBody"))];
    let mut text = String::new();
    let _ = writeln!(text, "# Imported by `specgate import` from {}", draft.at);
    let _ = writeln!(text, "name = {}", quote(name));
    let _ = writeln!(text, "description = {}", quote(&draft.description));
    let _ = writeln!(text, "method = {}", quote(&draft.method));
    let _ = writeln!(text, "path = {}", quote(&draft.path));
    if let Some(auth) = &draft.auth {
        let _ = writeln!(text, "\n[auth]\nscheme = {}", quote(auth.scheme));
        if let Some(header) = &auth.header {
            let _ = writeln!(text, "header = {}", quote(header));
        }
        if let Some(cookie) = &auth.cookie {
            let _ = writeln!(text, "cookie = {}", quote(cookie));
        }
        let _ = writeln!(text, "env = \"SPECGATE_API_KEY\"");
    }
    let _ = writeln!(
        text,
        "\n[request]\ncontent_type = {}\nschema = {}",
        quote(&draft.request.0),
        quote(&format!("../schemas/{request_file}"))
    );
    for response in &draft.responses {
        let status = &response.status;
        let _ = writeln!(text, "\n[responses.{}]", quote(status));
        if let Some(schema) = &response.schema {
            let file = format!("{name}.response-{}.json", status.to_ascii_lowercase());
            write_json(&schemas.join(&file), schema)?;
            origins.push((
                format!("../schemas/{file}"),
                origin(&format!("responses/{status}")),
            ));
            let _ = writeln!(text, "schema = {}", quote(&format!("../schemas/{file}")));
        }
        for header in &response.headers {
            let schema = match header.schema.as_ref() {
                None => String::new(),
                Some(schema) => match toml_value(schema) {
                    Some(inline) => format!(", schema = {inline}"),
                    // TOML has no null: such a schema goes to a file of its own.
                    None => {
                        let file = format!(
                            "{name}.response-{}.header-{}.json",
                            status.to_ascii_lowercase(),
                            sanitize(&header.name)
                        );
                        write_json(&schemas.join(&file), schema)?;
                        format!(", schema = {}", quote(&format!("../schemas/{file}")))
                    }
                },
            };
            let _ = writeln!(
                text,
                "headers.{} = {{ required = {}{schema} }}",
                quote(&header.name),
                header.required
            );
        }
    }
    let [valid, invalid, unauthorized] = &draft.expect;
    let list = |codes: &[String]| {
        codes
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        text,
        "\n[expect]\nvalid = [{}]\ninvalid = [{}]\nunauthorized = [{}]",
        list(valid),
        list(invalid),
        list(unauthorized)
    );
    write_examples(draft, &mut text, problems);
    atomic_file::write(
        &out.join("cases").join(format!("{name}.toml")),
        text.as_bytes(),
    )?;
    Ok(origins)
}

fn write_examples(draft: &CaseDraft, text: &mut String, problems: &mut Vec<Problem>) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&draft.request.1)
        .ok();
    let mut names = BTreeSet::new();
    for (name, body) in &draft.examples {
        let at = super::Location {
            file: draft.at.file.clone(),
            pointer: format!("{}/requestBody", draft.at.pointer),
        };
        let Some(inline) = toml_value(body) else {
            problems.push(Problem {
                operation: draft.operation_id.clone(),
                at,
                what: format!("example `{name}` holds null, which a case file (TOML) cannot hold"),
            });
            continue;
        };
        // The document says an example is an example of the schema: it is sent expecting
        // acceptance, unless the schema itself refuses it.
        let expect = match &validator {
            Some(v) if !v.is_valid(body) => "reject",
            _ => "accept",
        };
        let _ = writeln!(
            text,
            "\n[[examples]]\nname = {}\nexpect = \"{expect}\"\nbody = {inline}",
            quote(&unique(&mut names, &sanitize(name)))
        );
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn write_json(path: &Path, value: &Value) -> Result<(), WriteError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    Ok(atomic_file::write(path, text.as_bytes())?)
}

/// A TOML basic string: JSON's escapes are a subset of TOML's.
fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// `value` as a one-line TOML value; `None` when it holds `null`.
fn toml_value(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(items) => {
            let items: Option<Vec<String>> = items.iter().map(toml_value).collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Object(map) => {
            let mut parts = Vec::with_capacity(map.len());
            for (key, item) in map {
                parts.push(format!("{} = {}", quote(key), toml_value(item)?));
            }
            format!("{{ {} }}", parts.join(", "))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_become_toml_and_null_is_refused() {
        let value = json!({"a b": [1, 2.5, "x\"y"], "c": {"d": true}});
        let text = toml_value(&value).unwrap();
        let parsed: toml::Value = toml::from_str(&format!("v = {text}")).unwrap();
        assert_eq!(parsed["v"]["a b"][2].as_str(), Some("x\"y"));
        assert_eq!(toml_value(&json!({"a": null})), None);
    }
}
