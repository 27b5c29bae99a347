//! Which operations a command takes: `--operation`, `--exclude-operation` and `--tag`, each a
//! glob (`*` any text, `?` one character), checked against what the document or the case
//! folder holds, so a typo is an error that suggests the nearest names instead of a run of
//! nothing (or of everything).

use super::Ending;

/// An operation as a selection sees it.
pub(super) struct Candidate<'a> {
    /// Its `operationId` (a case file's name for `--cases`).
    pub(super) id: &'a str,
    /// Its case name.
    pub(super) case: &'a str,
    /// Its tags (none for `--cases`).
    pub(super) tags: &'a [String],
}

/// The selecting flags, as given.
#[derive(Debug, Clone, Copy)]
pub(super) struct Selection<'a> {
    pub(super) operations: &'a [String],
    pub(super) excluded: &'a [String],
    pub(super) tags: &'a [String],
}

impl Selection<'_> {
    /// Whether nothing is selected explicitly: every operation is taken.
    pub(super) fn is_everything(&self) -> bool {
        self.operations.is_empty() && self.excluded.is_empty() && self.tags.is_empty()
    }

    /// Whether `candidate` is taken.
    pub(super) fn takes(&self, candidate: &Candidate<'_>) -> bool {
        let named = |patterns: &[String]| {
            patterns
                .iter()
                .any(|p| glob(p, candidate.id) || glob(p, candidate.case))
        };
        let tagged = self.tags.is_empty()
            || self
                .tags
                .iter()
                .any(|p| candidate.tags.iter().any(|t| glob(p, t)));
        (self.operations.is_empty() || named(self.operations)) && tagged && !named(self.excluded)
    }

    /// Every pattern must match something, and something must be left: else a usage error
    /// naming the flag and the nearest names.
    pub(super) fn check(&self, candidates: &[Candidate<'_>], source: &str) -> Result<(), Ending> {
        let names: Vec<&str> = candidates.iter().flat_map(|c| [c.id, c.case]).collect();
        // Suggestions name each operation once, by the id a person reads in the document.
        let ids: Vec<&str> = candidates.iter().map(|c| c.id).collect();
        let tags: Vec<&str> = candidates
            .iter()
            .flat_map(|c| c.tags.iter().map(String::as_str))
            .collect();
        for (flag, patterns, known, suggested, what) in [
            ("--operation", self.operations, &names, &ids, "operation"),
            (
                "--exclude-operation",
                self.excluded,
                &names,
                &ids,
                "operation",
            ),
            ("--tag", self.tags, &tags, &tags, "tag"),
        ] {
            for pattern in patterns {
                if !known.iter().any(|k| glob(pattern, k)) {
                    return Err(Ending::usage(unknown(
                        flag, pattern, suggested, what, source,
                    )));
                }
            }
        }
        if !candidates.iter().any(|c| self.takes(c)) {
            return Err(Ending::usage(format!(
                "{source}: the selection (--operation, --exclude-operation, --tag) leaves no operation\n  fix: loosen it"
            )));
        }
        Ok(())
    }
}

/// How many suggestions a typo gets: enough to spot the right one, short enough to read.
const SUGGESTIONS: usize = 5;

/// `--operation lsitPets: …, did you mean listPets?`
fn unknown(flag: &str, pattern: &str, known: &[&str], what: &str, source: &str) -> String {
    let mut scored: Vec<(f64, &str)> = known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&pattern.to_lowercase(), &k.to_lowercase()),
                *k,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut nearest: Vec<&str> = Vec::new();
    for (_, name) in scored {
        if !nearest.contains(&name) {
            nearest.push(name);
        }
        if nearest.len() == SUGGESTIONS {
            break;
        }
    }
    let hint = match nearest.is_empty() {
        true => format!("  fix: {source} has no {what} to select"),
        false => format!(
            "  did you mean {}?\n  fix: correct the name; `*` and `?` match any text and any one character",
            nearest.join(", ")
        ),
    };
    format!("{flag} {pattern}: {source} has no such {what}\n{hint}")
}

/// Whether `text` matches `pattern`, where `*` is any text and `?` any one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    // The classic two-pointer match: remember the last `*` and how much of the text it took.
    let (mut p, mut t, mut star, mut taken) = (0, 0, None, 0);
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some(p);
                taken = t;
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    taken += 1;
                    t = taken;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_any_text_and_any_one_character() {
        assert!(glob("listPets", "listPets"));
        assert!(!glob("listPets", "listPet"));
        assert!(glob("list*", "listPets"));
        assert!(glob("*Pet?", "listPets"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(!glob("?", ""));
    }

    #[test]
    fn a_typo_suggests_the_nearest_names_only() {
        let known: Vec<String> = (0..200).map(|i| format!("operation{i}")).collect();
        let mut names: Vec<&str> = known.iter().map(String::as_str).collect();
        names.push("listPets");
        let message = unknown("--operation", "lsitPets", &names, "operation", "api.yaml");
        assert!(message.contains("did you mean listPets"), "{message}");
        assert!(message.len() < 400, "{message}");
    }

    #[test]
    fn exclusions_and_tags_narrow_the_selection() {
        let tags = ["pets".to_owned()];
        let pets = Candidate {
            id: "listPets",
            case: "list-pets",
            tags: &tags,
        };
        let store = Candidate {
            id: "getInventory",
            case: "get-inventory",
            tags: &[],
        };
        let excluded = ["list*".to_owned()];
        let selection = Selection {
            operations: &[],
            excluded: &excluded,
            tags: &[],
        };
        assert!(!selection.takes(&pets) && selection.takes(&store));
        let by_tag = Selection {
            operations: &[],
            excluded: &[],
            tags: &tags,
        };
        assert!(by_tag.takes(&pets) && !by_tag.takes(&store));
    }
}
