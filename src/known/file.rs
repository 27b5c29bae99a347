//! Reading a known-failures file: TOML, one `[[known]]` table per entry, every key required,
//! no other key allowed. Every problem is a [`ContractError`] naming the file, the line and
//! the fix, so the CLI exits 2 before anything is sent.

use super::date::Date;
use super::{KnownEntry, FINGERPRINT_HELP};
use crate::check::Check;
use crate::contract::{ContractError, Place};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// What a valid known-failures file looks like, quoted in every fix.
pub const EXAMPLE: &str = "[[known]]\nfingerprint = \"rejects-valid:my-operation:400 for enum-value\"\nreason = \"the partner rejects one enum value\"\nowner = \"payments\"\nlink = \"https://tracker.example/TICKET-123\"\nexpires = 2027-01-31";

/// A loaded known-failures file.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownFile {
    /// The file, as given.
    pub path: PathBuf,
    /// Its entries, in file order.
    pub entries: Vec<KnownEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    known: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    fingerprint: Spanned<String>,
    reason: String,
    owner: String,
    link: String,
    expires: Spanned<toml::Value>,
}

impl KnownFile {
    /// Entries whose reason, owner or link still read `TODO` (as `known add` wrote them),
    /// each as a sentence naming the file, the line and the fix: a warning on every run, an
    /// error under `--strict-known`.
    pub fn unfilled(&self) -> Vec<ContractError> {
        self.entries
            .iter()
            .filter_map(|entry| {
                let fields = entry.unfilled();
                (!fields.is_empty()).then(|| {
                    ContractError::new(
                        &self.path,
                        Place::Line {
                            line: entry.line,
                            column: 1,
                        },
                        format!(
                            "the entry for `{}` still has TODO in {}",
                            entry.fingerprint,
                            fields.join(", ")
                        ),
                        "write why the finding is accepted, the team that owns it and the ticket; `--strict-known` refuses entries left as TODO",
                    )
                })
            })
            .collect()
    }

    /// Read and check `path`.
    pub fn load(path: &Path) -> Result<KnownFile, ContractError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ContractError::new(
                path,
                Place::File,
                format!("cannot read the known-failures file: {e}"),
                "give the path of an existing file (`specgate known add --from report.json --out FILE` writes one)",
            )
        })?;
        KnownFile::parse(path, &text)
    }

    /// Check `text`, the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<KnownFile, ContractError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map_or(Place::File, |span| ContractError::line_of(text, span.start));
            let example: Vec<String> = EXAMPLE.lines().map(|l| format!("    {l}")).collect();
            let fix = format!(
                "each entry is a [[known]] table with exactly these keys:\n{}",
                example.join("\n")
            );
            ContractError::new(path, place, e.message().trim().to_owned(), fix)
        })?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut entries = Vec::with_capacity(raw.known.len());
        for spanned in raw.known {
            let line = line_number(text, spanned.span().start);
            let raw = spanned.into_inner();
            let entry = entry(path, text, raw, line)?;
            if let Some(first) = seen.insert(entry.fingerprint.clone(), line) {
                return Err(ContractError::new(
                    path,
                    Place::Line { line, column: 1 },
                    format!(
                        "fingerprint `{}` is listed twice (first at line {first})",
                        entry.fingerprint
                    ),
                    "keep one entry per fingerprint",
                ));
            }
            entries.push(entry);
        }
        Ok(KnownFile {
            path: path.to_path_buf(),
            entries,
        })
    }
}

fn line_number(text: &str, offset: usize) -> usize {
    match ContractError::line_of(text, offset) {
        Place::Line { line, .. } => line,
        _ => 1,
    }
}

fn entry(path: &Path, text: &str, raw: RawEntry, line: usize) -> Result<KnownEntry, ContractError> {
    let at = |offset: usize| ContractError::line_of(text, offset);
    let fingerprint = raw.fingerprint.get_ref().clone();
    check_fingerprint(&fingerprint).map_err(|problem| {
        ContractError::new(
            path,
            at(raw.fingerprint.span().start),
            problem,
            FINGERPRINT_HELP,
        )
    })?;
    let expires = expiry(raw.expires.get_ref()).ok_or_else(|| {
        ContractError::new(
            path,
            at(raw.expires.span().start),
            format!(
                "`expires = {}` is not a date",
                text.get(raw.expires.span()).unwrap_or_default().trim()
            ),
            "write the last day the entry holds as YYYY-MM-DD, e.g. expires = 2027-01-31",
        )
    })?;
    Ok(KnownEntry {
        fingerprint,
        reason: raw.reason,
        owner: raw.owner,
        link: raw.link,
        expires,
        line,
    })
}

/// A TOML local date, or a string holding one.
fn expiry(value: &toml::Value) -> Option<Date> {
    match value {
        toml::Value::Datetime(datetime) if datetime.time.is_none() && datetime.offset.is_none() => {
            let date = datetime.date?;
            Date::new(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
        }
        toml::Value::String(text) => Date::parse(text),
        _ => None,
    }
}

/// A fingerprint is `CHECK:CASE:CAUSE` with a known check name.
fn check_fingerprint(fingerprint: &str) -> Result<(), String> {
    let mut parts = fingerprint.splitn(3, ':');
    let (Some(check), Some(case), Some(cause)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "fingerprint `{fingerprint}` is not CHECK:CASE:CAUSE"
        ));
    };
    if !Check::ALL.iter().any(|c| c.name() == check) {
        let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
        return Err(format!(
            "fingerprint `{fingerprint}` names no check `{check}` (one of {})",
            names.join(", ")
        ));
    }
    if case.is_empty() || cause.is_empty() {
        return Err(format!(
            "fingerprint `{fingerprint}` has an empty case or cause"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<KnownFile, ContractError> {
        KnownFile::parse(Path::new("known.toml"), text)
    }

    #[test]
    fn the_example_parses() {
        let file = parse(EXAMPLE).unwrap();
        assert_eq!(file.entries.len(), 1);
        assert_eq!(file.entries[0].expires, Date::new(2027, 1, 31).unwrap());
        assert_eq!(file.entries[0].line, 1, "the line of its [[known]] header");
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let text = format!("{EXAMPLE}\nticket = \"X-1\"\n");
        let error = parse(&text).unwrap_err();
        assert_eq!(error.place, Place::Line { line: 7, column: 1 });
        assert!(error.problem.contains("unknown field `ticket`"), "{error}");
    }

    #[test]
    fn a_bad_date_names_its_line_and_the_form_to_use() {
        let text = EXAMPLE.replace("2027-01-31", "\"2027-02-30\"");
        let error = parse(&text).unwrap_err();
        assert!(
            matches!(error.place, Place::Line { line: 6, .. }),
            "{error}"
        );
        assert!(error.fix.contains("YYYY-MM-DD"));
        let time = EXAMPLE.replace("2027-01-31", "2027-01-31T10:00:00Z");
        assert!(parse(&time).is_err());
    }

    #[test]
    fn a_missing_key_and_a_bad_check_are_refused() {
        let no_owner = EXAMPLE.replace("owner = \"payments\"\n", "");
        assert!(parse(&no_owner).unwrap_err().problem.contains("owner"));
        let typo = EXAMPLE.replace("rejects-valid", "reject-valid");
        let error = parse(&typo).unwrap_err();
        assert!(
            matches!(error.place, Place::Line { line: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn a_fingerprint_listed_twice_is_refused() {
        let text = format!("{EXAMPLE}\n{EXAMPLE}\n");
        let error = parse(&text).unwrap_err();
        assert!(error.problem.contains("listed twice"), "{error}");
    }
}
