//! Writing drafts as case files (`DIR/cases/<name>.toml`) and schemas
//! (`DIR/schemas/<name>.request.json`, `.response-<status>.json`, `.param-<in>-<name>.json`),
//! the schemas they share written once (`DIR/schemas/<document>.components.json`, each
//! operation's schema referring to it by `$ref` instead of holding a copy), each file
//! atomically but unsynced (they are made again from the document, and a sync per file
//! cost most of a large import's time), then loading them back with
//! [`crate::contract::load_cases`] so a written case always loads. A folder written again
//! (an import writes its staging folder a second time after leaving out what no plan can be
//! made from) has only its changed files written and its files no longer made removed:
//! creating a file was a fifth of Stripe's import, and most are the same the second time.

use super::operation::{CaseDraft, DraftExample};
use super::parameter::DraftParameter;
use super::{Definitions, Document, Problem};
use crate::atomic_file;
use crate::contract::{load_cases, ContractError, Operation};
use crate::schema::Keyword;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What an import wrote.
#[derive(Debug)]
pub struct Imported {
    /// The folder of the case files.
    pub cases_dir: PathBuf,
    /// The written cases, loaded back.
    pub operations: Vec<Operation>,
    /// Parts of the document that could not be expressed (including examples TOML cannot hold).
    pub problems: Vec<Problem>,
    /// Each written file as seen from the cases folder (a case `NAME.toml`, a schema
    /// `../schemas/NAME.json`) and the place in the document it was translated from, so errors
    /// about it can point there.
    pub origins: Vec<(String, super::Location)>,
}

impl Imported {
    /// `message` with every written file's path replaced by the place in the document it
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

    /// The place in the document a written file (a case or a schema, by its path) was
    /// translated from.
    pub fn origin_of(&self, written: &Path) -> Option<&super::Location> {
        self.origins
            .iter()
            .find(|(file, _)| self.cases_dir.join(file) == written)
            .map(|(_, origin)| origin)
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
/// `out`, and load them back. `out` is the caller's own folder, fresh or written by this
/// function before: a file of its `cases` and `schemas` that this write does not make is
/// removed.
pub fn write_cases(
    document: &Document,
    out: &Path,
    pick: Option<&BTreeSet<String>>,
) -> Result<Imported, WriteError> {
    write_cases_loading(document, out, pick, None, load_cases)
}

/// [`write_cases`], loading the written cases back with `load` (given their folder), as
/// [`crate::contract::load_cases_each`] does for an import that checks them one at a time.
/// A file that `published` (the folder `out` is staged for, on its file system) holds with
/// the same bytes is linked from there, not written again (see [`Output::text`]).
pub fn write_cases_loading(
    document: &Document,
    out: &Path,
    pick: Option<&BTreeSet<String>>,
    published: Option<&Path>,
    load: impl FnOnce(&Path) -> Result<Vec<Operation>, ContractError>,
) -> Result<Imported, WriteError> {
    let cases_dir = out.join("cases");
    let mut problems = document.problems.clone();
    let mut names = BTreeSet::new();
    let mut origins = Vec::new();
    let chosen: Vec<(&CaseDraft, String)> = document
        .drafts
        .iter()
        .filter(|d| pick.is_none_or(|p| p.contains(&d.operation_id)))
        .map(|d| (d, unique(&mut names, &d.name)))
        .collect();
    // Links name operations by `operationId`; cases name each other by case name.
    let case_names: BTreeMap<&str, &str> = chosen
        .iter()
        .map(|(d, name)| (d.operation_id.as_str(), name.as_str()))
        .collect();
    let shared = SharedFile::of(document);
    let output = Output {
        root: out,
        published,
        written: Mutex::default(),
    };
    // Rendering and writing each case is its own work: Stripe's 452 took a fifth of its
    // import on one core of two. What each found is taken in the cases' order.
    let written = crate::contract::parallel::map_in_order(&chosen, |(draft, name)| {
        let case = Case {
            draft,
            name,
            case_names: &case_names,
            out: &output,
            shared: &shared,
        };
        let mut found = Vec::new();
        case.write(&mut found).map(|origins| (origins, found))
    });
    for case in written {
        let (written, found) = case?;
        origins.extend(written);
        problems.extend(found);
    }
    origins.extend(shared.write(&output)?);
    output.remove_unwritten()?;
    if let Some(converted) = &document.converted_from_2_0 {
        for (_, origin) in &mut origins {
            converted.locate(&document.file, origin);
        }
    }
    let operations = if names.is_empty() {
        Vec::new()
    } else {
        load(&cases_dir)?
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

/// The document's shared schemas ([`Document::shared`]) as one file beside the operations'
/// schemas, holding those they use.
struct SharedFile<'a> {
    /// Its name in the schemas folder.
    name: String,
    defs: &'a Definitions,
    document: &'a Document,
    /// The shared schemas the schemas written so far use (cases are written on several
    /// threads).
    used: Mutex<BTreeSet<String>>,
}

impl<'a> SharedFile<'a> {
    fn of(document: &'a Document) -> SharedFile<'a> {
        let stem = document.file.file_stem().unwrap_or_default();
        SharedFile {
            name: format!("{}.components.json", sanitize(&stem.to_string_lossy())),
            defs: &document.shared,
            document,
            used: Mutex::new(BTreeSet::new()),
        }
    }

    /// `schema` (bundled) without `$defs` for the shared schemas, its references to them
    /// pointing into this file instead.
    fn refer(&self, schema: &Value) -> Value {
        let Value::Object(object) = schema else {
            return schema.clone();
        };
        let Some(Value::Object(defs)) = object.get(Keyword::Defs.name()) else {
            return schema.clone();
        };
        let (named, own): (Vec<_>, Vec<_>) =
            defs.iter().partition(|(name, _)| self.defs.contains(name));
        let mut moved = self.defs.reached(schema);
        moved.extend(named.into_iter().map(|(name, _)| name.clone()));
        if moved.is_empty() {
            return schema.clone();
        }
        let mut root = Map::new();
        for (key, value) in object {
            if key != Keyword::Defs.name() {
                root.insert(key.clone(), value.clone());
            } else if !own.is_empty() {
                let own = own.iter().map(|(n, v)| ((*n).clone(), (*v).clone()));
                root.insert(key.clone(), Value::Object(own.collect()));
            }
        }
        let mut root = Value::Object(root);
        let mut pointers = Vec::new();
        crate::schema::visit(&root, "", &mut |pointer, map| {
            let reference = map.get(Keyword::Ref.name()).and_then(Value::as_str);
            let name = reference.and_then(crate::schema::local_definition);
            if name.is_some_and(|n| moved.contains(n)) {
                pointers.push(pointer.to_owned());
            }
        });
        for pointer in pointers {
            if let Some(Value::Object(map)) = root.pointer_mut(&pointer) {
                if let Some(Value::String(reference)) = map.get_mut(Keyword::Ref.name()) {
                    *reference = format!("{}{reference}", self.name);
                }
            }
        }
        lock(&self.used).extend(moved);
        root
    }

    /// Write the shared schemas some written schema uses, if any.
    fn write(&self, out: &Output) -> Result<Origins, WriteError> {
        let used = lock(&self.used);
        if used.is_empty() {
            return Ok(Vec::new());
        }
        let defs: Map<String, Value> = used
            .iter()
            .filter_map(|name| Some((name.clone(), self.defs.get(name)?.clone())))
            .collect();
        let file = serde_json::json!({
            (Keyword::Schema.name()): crate::schema::DRAFT_2020_12,
            (Keyword::Defs.name()): defs,
        });
        out.json(&out.root.join("schemas").join(&self.name), &file)?;
        let origin = super::Location {
            file: self.document.file.clone(),
            pointer: "/components".to_owned(),
        };
        Ok(vec![(format!("../schemas/{}", self.name), origin)])
    }
}

/// One draft being written as the case `name`.
struct Case<'a> {
    draft: &'a CaseDraft,
    name: &'a str,
    case_names: &'a BTreeMap<&'a str, &'a str>,
    out: &'a Output<'a>,
    shared: &'a SharedFile<'a>,
}

/// Schema files written (as a case file names them) and where each came from.
type Origins = Vec<(String, super::Location)>;

impl Case<'_> {
    fn write(&self, problems: &mut Vec<Problem>) -> Result<Origins, WriteError> {
        let draft = self.draft;
        // An envelope's errors (a parameter no value satisfies) name the case file itself.
        let mut origins = vec![(format!("{}.toml", self.name), draft.at.clone())];
        let mut text = String::new();
        let _ = writeln!(text, "# Imported by `specgate import` from {}", draft.at);
        for note in &draft.notes {
            let _ = writeln!(text, "# note: {note}");
        }
        let _ = writeln!(text, "name = {}", quote(self.name));
        let _ = writeln!(text, "description = {}", quote(&draft.description));
        let _ = writeln!(text, "method = {}", quote(&draft.method));
        let _ = writeln!(text, "path = {}", quote(&draft.path));
        self.write_auth(&mut text);
        for parameter in &draft.parameters {
            self.write_parameter(parameter, &mut text, &mut origins)?;
        }
        for constant in &draft.constants {
            let _ = writeln!(
                text,
                "\n[[constants]]\nname = {}\nin = {}\nvalue = {}",
                quote(&constant.name),
                quote(constant.location.as_str()),
                quote(&constant.value)
            );
        }
        self.write_request(&mut text, &mut origins)?;
        self.write_responses(&mut text, &mut origins)?;
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
        write_examples(draft, self.shared.defs, &mut text, problems);
        self.out.text(
            &self
                .out
                .root
                .join("cases")
                .join(format!("{}.toml", self.name)),
            text.as_bytes(),
        )?;
        Ok(origins)
    }

    fn origin(&self, keys: &str) -> super::Location {
        super::Location {
            file: self.draft.at.file.clone(),
            pointer: format!("{}/{keys}", self.draft.at.pointer),
        }
    }

    /// `[auth]` for one scheme, as before; `[[auth]]` entries for several, numbered by
    /// `alternative` when the operation has more than one.
    fn write_auth(&self, text: &mut String) {
        let alternatives = &self.draft.auth;
        let several = alternatives.len() > 1 || alternatives.iter().any(|a| a.len() > 1);
        for (index, schemes) in alternatives.iter().enumerate() {
            for auth in schemes {
                text.push('\n');
                if let Some(note) = &auth.note {
                    let _ = writeln!(text, "# {note}");
                }
                let _ = writeln!(text, "{}", if several { "[[auth]]" } else { "[auth]" });
                if alternatives.len() > 1 {
                    let _ = writeln!(text, "alternative = {}", index + 1);
                }
                let _ = writeln!(text, "scheme = {}", quote(auth.scheme));
                if let Some((place, name)) = &auth.name {
                    let _ = writeln!(text, "{place} = {}", quote(name));
                }
                let _ = writeln!(text, "env = {}", quote(&auth.env));
                if let Some((token_url, client_id_env, scopes)) = &auth.client {
                    let _ = writeln!(text, "token_url = {}", quote(token_url));
                    let _ = writeln!(text, "client_id_env = {}", quote(client_id_env));
                    if !scopes.is_empty() {
                        let scopes: Vec<String> = scopes.iter().map(|s| quote(s)).collect();
                        let _ = writeln!(text, "scopes = [{}]", scopes.join(", "));
                    }
                }
            }
        }
    }

    /// One `[[parameters]]` entry. A small schema without `$defs` is written inline, as a
    /// person would; any other goes to `schemas/<case>.param-<in>-<name>.json`.
    fn write_parameter(
        &self,
        parameter: &DraftParameter,
        text: &mut String,
        origins: &mut Origins,
    ) -> Result<(), WriteError> {
        let location = parameter.location.as_str();
        let _ = writeln!(text, "\n# {location} parameter, from {}", parameter.at);
        let _ = writeln!(text, "[[parameters]]");
        let _ = writeln!(text, "name = {}", quote(&parameter.name));
        let _ = writeln!(text, "in = \"{location}\"");
        if parameter.location != crate::contract::wire::Location::Path {
            let _ = writeln!(text, "required = {}", parameter.required);
        }
        let mut inline = parameter.schema.clone();
        if let Value::Object(object) = &mut inline {
            object.remove(Keyword::Schema.name());
        }
        let small = toml_value(&inline)
            .filter(|t| t.len() <= 120 && Keyword::Defs.value_in(&inline).is_none());
        match small {
            Some(inline) => {
                let _ = writeln!(text, "schema = {inline}");
            }
            None => {
                let file = format!(
                    "{}.param-{location}-{}.json",
                    self.name,
                    sanitize(&parameter.name)
                );
                self.out.json(
                    &self.out.root.join("schemas").join(&file),
                    &self.shared.refer(&parameter.schema),
                )?;
                let written = format!("../schemas/{file}");
                let _ = writeln!(text, "schema = {}", quote(&written));
                origins.push((written, parameter.at.clone()));
            }
        }
        if let Some(style) = &parameter.style {
            let _ = writeln!(text, "style = {}", quote(style));
        }
        if let Some(explode) = parameter.explode {
            let _ = writeln!(text, "explode = {explode}");
        }
        if let Some(content_type) = &parameter.content_type {
            let _ = writeln!(text, "content_type = {}", quote(content_type));
        }
        if parameter.allow_empty {
            let _ = writeln!(text, "allow_empty_value = true");
        }
        if let Some(link) = &parameter.link {
            match self.case_names.get(link.operation_id.as_str()) {
                Some(source) => {
                    let _ = writeln!(
                        text,
                        "# valid values: `{}` of a 2xx answer of `{}` (OpenAPI link `{}`)\nlink = {{ operation = {}, pointer = {} }}",
                        link.pointer, link.operation_id, link.name, quote(source), quote(&link.pointer)
                    );
                }
                None => {
                    let _ = writeln!(
                        text,
                        "# OpenAPI link `{}` from `{}` left out: that operation is not imported",
                        link.name, link.operation_id
                    );
                }
            }
        }
        Ok(())
    }

    fn write_request(&self, text: &mut String, origins: &mut Origins) -> Result<(), WriteError> {
        let Some(request) = &self.draft.request else {
            let _ = writeln!(text, "\n# No request body: the operation takes none.");
            return Ok(());
        };
        let file = format!("{}.request.json", self.name);
        self.out.json(
            &self.out.root.join("schemas").join(&file),
            &self.shared.refer(&request.schema),
        )?;
        let written = format!("../schemas/{file}");
        origins.push((written.clone(), self.origin("requestBody")));
        let _ = writeln!(
            text,
            "\n[request]\ncontent_type = {}\nschema = {}",
            quote(&request.media),
            quote(&written)
        );
        if !request.required {
            let _ = writeln!(
                text,
                "# `requestBody.required` is absent or false (OpenAPI's default): the body is optional\nrequired = false"
            );
        }
        write_encoding(text, &request.encoding);
        Ok(())
    }

    fn write_responses(&self, text: &mut String, origins: &mut Origins) -> Result<(), WriteError> {
        let schemas = self.out.root.join("schemas");
        for response in &self.draft.responses {
            let status = &response.status;
            let _ = writeln!(text, "\n[responses.{}]", quote(status));
            if !response.media.is_empty() {
                let media: Vec<String> = response.media.iter().map(|m| quote(m)).collect();
                let _ = writeln!(text, "media = [{}]", media.join(", "));
            }
            if let Some(schema) = &response.schema {
                let file = format!(
                    "{}.response-{}.json",
                    self.name,
                    status.to_ascii_lowercase()
                );
                self.out
                    .json(&schemas.join(&file), &self.shared.refer(schema))?;
                origins.push((
                    format!("../schemas/{file}"),
                    self.origin(&format!("responses/{status}")),
                ));
                let _ = writeln!(text, "schema = {}", quote(&format!("../schemas/{file}")));
            }
            for header in &response.headers {
                let schema = match header.schema.as_ref() {
                    None => String::new(),
                    Some(schema) => match toml_value(&self.shared.defs.self_contained(schema)) {
                        Some(inline) => format!(", schema = {inline}"),
                        // TOML has no null: such a schema goes to a file of its own.
                        None => {
                            let file = format!(
                                "{}.response-{}.header-{}.json",
                                self.name,
                                status.to_ascii_lowercase(),
                                sanitize(&header.name)
                            );
                            self.out
                                .json(&schemas.join(&file), &self.shared.refer(schema))?;
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
        Ok(())
    }
}

/// The examples. An operation with neither parameters nor an optional body writes bare
/// bodies; any other writes `body` and `parameters` of the request envelope, the plan filling
/// in what an example leaves out.
fn write_examples(
    draft: &CaseDraft,
    shared: &Definitions,
    text: &mut String,
    problems: &mut Vec<Problem>,
) {
    if draft.examples.is_empty() {
        return;
    }
    let enveloped =
        !draft.parameters.is_empty() || draft.request.as_ref().is_none_or(|r| !r.required);
    let compile = |schema: &Value| {
        let whole = shared.self_contained(schema);
        crate::schema::validator_options().build(&whole).ok()
    };
    let body_validator = draft.request.as_ref().and_then(|r| compile(&r.schema));
    let mut names = BTreeSet::new();
    for example in &draft.examples {
        let at = super::Location {
            file: draft.at.file.clone(),
            pointer: format!("{}/requestBody", draft.at.pointer),
        };
        let parameters = example_parameters(draft, example);
        if example.body.is_none() && parameters.is_empty() {
            continue;
        }
        let Some(written) = example_text(example, &parameters, enveloped) else {
            problems.push(Problem {
                operation: draft.operation_id.clone(),
                at,
                what: format!(
                    "example `{}` holds null, which a case file (TOML) cannot hold",
                    example.name
                ),
            });
            continue;
        };
        // The document says an example is an example of the schema: it is sent expecting
        // acceptance, unless the schema itself refuses it.
        let body_valid = match (&example.body, &body_validator) {
            (Some(body), Some(v)) => v.is_valid(body),
            _ => true,
        };
        let parameters_valid = draft.parameters.iter().all(|p| {
            let value = parameters
                .get(p.location.as_str())
                .and_then(|part| part.get(&p.name));
            match (value, compile(&p.schema)) {
                (Some(value), Some(v)) => v.is_valid(value),
                _ => true,
            }
        });
        let expect = if body_valid && parameters_valid {
            "accept"
        } else {
            "reject"
        };
        let _ = writeln!(
            text,
            "\n[[examples]]\nname = {}\nexpect = \"{expect}\"\n{written}",
            quote(&unique(&mut names, &sanitize(&example.name)))
        );
    }
}

/// The example's parameter values, but for linked path parameters: their values come from
/// the linked operation, and a value of the document may name nothing the server has.
fn example_parameters(draft: &CaseDraft, example: &DraftExample) -> serde_json::Map<String, Value> {
    let mut parameters = example.parameters.clone();
    for parameter in draft.parameters.iter().filter(|p| p.link.is_some()) {
        if let Some(Value::Object(part)) = parameters.get_mut(parameter.location.as_str()) {
            part.remove(&parameter.name);
        }
    }
    parameters.retain(|_, part| part.as_object().is_some_and(|p| !p.is_empty()));
    parameters
}

/// `body = …` and `parameters = …` lines; `None` when a value holds null.
fn example_text(
    example: &DraftExample,
    parameters: &serde_json::Map<String, Value>,
    enveloped: bool,
) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(body) = &example.body {
        lines.push(format!("body = {}", toml_value(body)?));
    }
    if enveloped && !parameters.is_empty() {
        let parameters = Value::Object(parameters.clone());
        lines.push(format!("parameters = {}", toml_value(&parameters)?));
    }
    Some(lines.join("\n"))
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

/// `mutex` locked; a panic on another thread writing cases ends the import with it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The folder a [`write_cases`] writes, and the files it wrote there.
struct Output<'a> {
    root: &'a Path,
    /// The folder `root` is published to, if any: its files are the last import's.
    published: Option<&'a Path>,
    written: Mutex<BTreeSet<PathBuf>>,
}

impl Output<'_> {
    fn json(&self, path: &Path, value: &Value) -> Result<(), WriteError> {
        let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
        self.text(path, text.as_bytes())
    }

    /// Write `bytes` to `path` unless it holds them already: a file left as it is keeps its
    /// version, so loading it again finds it read.
    fn text(&self, path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        lock(&self.written).insert(path.to_path_buf());
        match std::fs::read(path) {
            Ok(held) if held == bytes => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.linked_from_published(path, bytes) {
                    return Ok(());
                }
                Ok(create(path, bytes)?)
            }
            _ => Ok(atomic_file::write_regenerable(path, bytes)?),
        }
    }

    /// Whether `path` (absent) was made a second name of the published file it will replace,
    /// that file holding `bytes` already. Publishing it then renames a file onto itself, which
    /// changes nothing: an import again of an unchanged document makes and frees no inode per
    /// file, where each new one cost a scan past the files freed in the last half minute on
    /// a file system without a journal, and so slowed the next import too. Never written in
    /// place after: a file written again in the staging folder gets a new inode.
    fn linked_from_published(&self, path: &Path, bytes: &[u8]) -> bool {
        let Some(published) = self.published else {
            return false;
        };
        let Ok(relative) = path.strip_prefix(self.root) else {
            return false;
        };
        let there = published.join(relative);
        // A symbolic link is left alone: a second name of it would point elsewhere from here.
        let regular = std::fs::symlink_metadata(&there).is_ok_and(|m| m.file_type().is_file());
        let same = regular && std::fs::read(&there).is_ok_and(|held| held == bytes);
        let linked = || {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder)?;
            }
            std::fs::hard_link(&there, path)
        };
        same && linked().is_ok()
    }

    /// Remove the files of `cases` and `schemas` this write did not make: a folder written
    /// again no longer holds an operation left out, nor a schema dropped.
    fn remove_unwritten(&self) -> Result<(), WriteError> {
        let written = lock(&self.written);
        for folder in ["cases", "schemas"] {
            let Ok(entries) = std::fs::read_dir(self.root.join(folder)) else {
                continue;
            };
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                if !written.contains(&path) {
                    std::fs::remove_file(&path).map_err(|source| atomic_file::WriteError {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// A file `path` that does not exist yet, written in place: the folder is the caller's own
/// and no reader has seen the file, so the temp file and rename of [`atomic_file`] (a second
/// file made per file, on a large import most of its system time) buy nothing. A file
/// written again still goes through them, so it gets a new inode and never looks unchanged
/// to the caches that key files by their version.
fn create(path: &Path, bytes: &[u8]) -> Result<(), atomic_file::WriteError> {
    let failed = |source| atomic_file::WriteError {
        path: path.to_path_buf(),
        source,
    };
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(failed)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(failed)?;
    std::io::Write::write_all(&mut file, bytes).map_err(failed)
}

/// A form's `[request.encoding]`: each field's style and `explode` as the document gives
/// them (`metadata[key]=v` for `deepObject`).
fn write_encoding(text: &mut String, encoding: &BTreeMap<String, super::DraftEncoding>) {
    if encoding.is_empty() {
        return;
    }
    let _ = writeln!(text, "\n[request.encoding]");
    for (field, entry) in encoding {
        let mut parts = Vec::new();
        if let Some(style) = &entry.style {
            parts.push(format!("style = {}", quote(style)));
        }
        if let Some(explode) = entry.explode {
            parts.push(format!("explode = {explode}"));
        }
        let _ = writeln!(text, "{} = {{ {} }}", toml_key(field), parts.join(", "));
    }
}

/// A TOML basic string: JSON's escapes are a subset of TOML's.
fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// A TOML key: bare when TOML allows it (`type`), else quoted (`"$ref"`).
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_owned()
    } else {
        quote(key)
    }
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
                parts.push(format!("{} = {}", toml_key(key), toml_value(item)?));
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
        let value = json!({"a b": [1, 2.5, "x\"y"], "c": {"d": true}, "$ref": "#/x"});
        let text = toml_value(&value).unwrap();
        assert!(
            text.contains(" c = { d = true }") && text.contains("\"$ref\" = "),
            "{text}"
        );
        let parsed: toml::Value = toml::from_str(&format!("v = {text}")).unwrap();
        assert_eq!(parsed["v"]["a b"][2].as_str(), Some("x\"y"));
        assert_eq!(parsed["v"]["$ref"].as_str(), Some("#/x"));
        assert_eq!(toml_value(&json!({"a": null})), None);
    }
}
