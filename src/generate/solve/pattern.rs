//! Strings that match a `pattern`, at a chosen length: built from the regex's syntax tree
//! (`regex-syntax`), as proptest's `string_regex` builds them, but aimed at a length, so a
//! pattern with `minLength`/`maxLength` (a 40-character commit SHA, `^[0-9a-fA-F]+$`) has
//! matches, and an alternation of anchored branches (`^ssh-(rsa|dss) |^ecdsa-…`) too.
//!
//! A JSON Schema pattern is a search, not a whole-string match: a pattern not anchored at its
//! end is matched by its core followed by anything, so a core too short for `minLength` is
//! padded. Every string is checked with the `regex` crate before it is offered; the solver
//! then checks it against the schema's own validator.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// How many nodes one search may visit: patterns from real documents can be large, and a
/// length no split reaches must give up quickly rather than try every split.
const BUDGET: usize = 20_000;

/// How far past the shortest match [`Pattern::within`] looks for more lengths.
const SPREAD: usize = 64;

/// A parsed pattern, ready to build matches of any length it allows.
#[derive(Debug)]
pub(crate) struct Pattern {
    core: Hir,
    /// Whether text may follow the core (not every branch ends with `$`).
    open_end: bool,
    /// Whether text may precede the core (not every branch starts with `^`).
    open_start: bool,
    check: regex::Regex,
}

impl Pattern {
    /// `None` when the pattern is not one `regex-syntax` reads (look-around, back-references).
    pub(crate) fn parse(pattern: &str) -> Option<Pattern> {
        let rust = rust_pattern(pattern);
        let core = regex_syntax::Parser::new().parse(&rust).ok()?;
        let check = regex::Regex::new(&rust).ok()?;
        let properties = core.properties();
        Some(Pattern {
            open_end: !properties.look_set_suffix().contains(Look::End),
            open_start: !properties.look_set_prefix().contains(Look::Start),
            core,
            check,
        })
    }

    /// Whether `text` matches (the pattern searched for, as JSON Schema reads it).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.check.is_match(text)
    }

    /// A matching string exactly `len` code points long; `salt` varies the characters picked
    /// from classes and the branches taken, so different salts give different strings.
    pub(crate) fn of_length(&self, len: usize, salt: usize) -> Option<String> {
        let mut builder = Builder {
            budget: BUDGET,
            salt,
        };
        let text = match builder.build(&self.core, len) {
            Some(text) => text,
            None => self.padded(&mut builder, len)?,
        };
        (text.chars().count() == len && self.is_match(&text)).then_some(text)
    }

    /// The longest core that fits in `len`, padded to `len` on its open side.
    fn padded(&self, builder: &mut Builder, len: usize) -> Option<String> {
        if !self.open_end && !self.open_start {
            return None;
        }
        let (lo, hi) = lengths(&self.core);
        let longest = hi.map_or(len, |hi| hi.min(len));
        let core = (lo..=longest)
            .rev()
            .take(8)
            .find_map(|n| builder.build(&self.core, n))?;
        let fill = "x".repeat(len - core.chars().count());
        Some(if self.open_end {
            core + &fill
        } else {
            fill + &core
        })
    }

    /// Up to `n` distinct matches with lengths in `min..=max`, the shortest first, then
    /// longer ones, then the longest allowed (when at most `longest` code points).
    pub(crate) fn within(
        &self,
        min: usize,
        max: Option<usize>,
        longest: usize,
        n: usize,
    ) -> Vec<String> {
        let top = max.unwrap_or(usize::MAX).min(longest);
        let mut out: Vec<String> = Vec::new();
        let push = |text: Option<String>, out: &mut Vec<String>| {
            if let Some(text) = text.filter(|t| !out.contains(t)) {
                out.push(text);
            }
        };
        // Keep a place for the longest when there is one to give.
        let bounded = max.is_some_and(|max| max <= longest);
        let room = if bounded {
            n.saturating_sub(1).max(1)
        } else {
            n
        };
        let spread = min..=top.min(min.saturating_add(SPREAD));
        for (salt, len) in spread.enumerate() {
            if out.len() >= room {
                break;
            }
            push(self.of_length(len, salt), &mut out);
        }
        if bounded && out.len() < n {
            push(self.of_length(top, 0), &mut out);
        }
        out.truncate(n);
        out
    }
}

/// A pattern as Rust's regex parser reads it: ECMA-262's ASCII classes made explicit.
pub(crate) fn rust_pattern(pattern: &str) -> String {
    pattern
        .replace("\\d", "[0-9]")
        .replace("\\w", "[a-zA-Z0-9_]")
        .replace("\\p{Letter}", "\\p{L}")
}

/// The fewest and most code points a node matches (`None`: no most).
fn lengths(hir: &Hir) -> (usize, Option<usize>) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (0, Some(0)),
        HirKind::Literal(literal) => {
            let n = String::from_utf8_lossy(&literal.0).chars().count();
            (n, Some(n))
        }
        HirKind::Class(_) => (1, Some(1)),
        HirKind::Capture(capture) => lengths(&capture.sub),
        HirKind::Repetition(repetition) => {
            let (lo, hi) = lengths(&repetition.sub);
            let times = |n: usize, k: u32| n.saturating_mul(k as usize);
            let most = match (hi, repetition.max) {
                (Some(0), _) => Some(0),
                (Some(hi), Some(max)) => Some(times(hi, max)),
                _ => None,
            };
            (times(lo, repetition.min), most)
        }
        HirKind::Concat(parts) => parts.iter().map(lengths).fold((0, Some(0)), add),
        HirKind::Alternation(branches) => {
            let all: Vec<_> = branches.iter().map(lengths).collect();
            let lo = all.iter().map(|(lo, _)| *lo).min().unwrap_or(0);
            let hi = all
                .iter()
                .try_fold(0, |most, (_, hi)| Some(most.max((*hi)?)));
            (lo, hi)
        }
    }
}

fn add(a: (usize, Option<usize>), b: (usize, Option<usize>)) -> (usize, Option<usize>) {
    let hi = a.1.zip(b.1).map(|(x, y)| x.saturating_add(y));
    (a.0.saturating_add(b.0), hi)
}

fn admits(range: (usize, Option<usize>), len: usize) -> bool {
    len >= range.0 && range.1.is_none_or(|hi| len <= hi)
}

/// One search for a string of a given length, with its visit budget.
struct Builder {
    budget: usize,
    salt: usize,
}

impl Builder {
    fn build(&mut self, hir: &Hir, len: usize) -> Option<String> {
        if self.budget == 0 || !admits(lengths(hir), len) {
            return None;
        }
        self.budget -= 1;
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Some(String::new()),
            HirKind::Literal(literal) => Some(String::from_utf8_lossy(&literal.0).into_owned()),
            HirKind::Class(class) => self.pick(class).map(String::from),
            HirKind::Capture(capture) => self.build(&capture.sub, len),
            HirKind::Alternation(branches) => {
                let start = self.salt % branches.len();
                (0..branches.len())
                    .find_map(|i| self.build(&branches[(start + i) % branches.len()], len))
            }
            HirKind::Concat(parts) => {
                let parts: Vec<&Hir> = parts.iter().collect();
                self.concat(&parts, len)
            }
            HirKind::Repetition(repetition) => {
                let count = copies(repetition, lengths(&repetition.sub), len)?;
                let parts = vec![repetition.sub.as_ref(); count];
                self.concat(&parts, len)
            }
        }
    }

    /// `parts` in a row, `len` code points in all: each part takes a share its own lengths
    /// and the rest's allow, an even share first, then the fewest, then the most.
    fn concat(&mut self, parts: &[&Hir], len: usize) -> Option<String> {
        let ranges: Vec<_> = parts.iter().map(|p| lengths(p)).collect();
        // What the parts from each index on can take together.
        let mut rest = vec![(0, Some(0)); parts.len() + 1];
        for i in (0..parts.len()).rev() {
            rest[i] = add(ranges[i], rest[i + 1]);
        }
        self.concat_from(parts, &ranges, &rest, 0, len)
    }

    fn concat_from(
        &mut self,
        parts: &[&Hir],
        ranges: &[(usize, Option<usize>)],
        rest: &[(usize, Option<usize>)],
        at: usize,
        len: usize,
    ) -> Option<String> {
        if at == parts.len() {
            return (len == 0).then(String::new);
        }
        let (lo, hi) = ranges[at];
        let (rest_lo, rest_hi) = rest[at + 1];
        let fewest = lo.max(rest_hi.map_or(0, |rest_hi| len.saturating_sub(rest_hi)));
        let most = hi.unwrap_or(usize::MAX).min(len.checked_sub(rest_lo)?);
        if fewest > most {
            return None;
        }
        let even = (len / (parts.len() - at)).clamp(fewest, most);
        let mut tried = Vec::with_capacity(3);
        for share in [even, fewest, most] {
            if tried.contains(&share) {
                continue;
            }
            tried.push(share);
            let Some(head) = self.build(parts[at], share) else {
                continue;
            };
            if let Some(tail) = self.concat_from(parts, ranges, rest, at + 1, len - share) {
                return Some(head + &tail);
            }
        }
        None
    }

    /// A character of `class`: an ASCII letter or digit when the class has one (readable,
    /// and safe in any encoding), chosen by the salt among the first few.
    fn pick(&self, class: &Class) -> Option<char> {
        let ranges: Vec<(char, char)> = match class {
            Class::Unicode(class) => class.iter().map(|r| (r.start(), r.end())).collect(),
            Class::Bytes(class) => class
                .iter()
                .map(|r| (char::from(r.start()), char::from(r.end())))
                .collect(),
        };
        let within = |c: &char| ranges.iter().any(|(lo, hi)| (lo..=hi).contains(&c));
        let plain: Vec<char> = ('0'..='9')
            .chain('a'..='z')
            .chain('A'..='Z')
            .filter(within)
            .take(16)
            .collect();
        let found: Vec<char> = ranges
            .iter()
            .flat_map(|(lo, hi)| (*lo..=*hi).take(8))
            .collect();
        let from = if plain.is_empty() { &found } else { &plain };
        from.get(self.salt % from.len().max(1)).copied()
    }
}

/// How many copies of a repeated node make `len`: the fewest the repetition and the copies'
/// lengths allow.
fn copies(
    repetition: &regex_syntax::hir::Repetition,
    (lo, hi): (usize, Option<usize>),
    len: usize,
) -> Option<usize> {
    let min = repetition.min as usize;
    let max = repetition.max.map_or(usize::MAX, |m| m as usize);
    if len == 0 {
        return (min == 0 || lo == 0).then_some(min);
    }
    let needed = match hi {
        Some(0) => return None,
        Some(hi) => len.div_ceil(hi),
        None => 1,
    };
    let count = needed.max(min).max(1);
    (count <= max && count.saturating_mul(lo) <= len).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, len: usize) -> String {
        let parsed = Pattern::parse(pattern).expect("a pattern regex-syntax reads");
        let text = parsed
            .of_length(len, 0)
            .unwrap_or_else(|| panic!("{pattern} at {len}"));
        assert_eq!(text.chars().count(), len, "{text}");
        assert!(parsed.is_match(&text), "{text}");
        text
    }

    #[test]
    fn a_hex_pattern_has_a_match_of_exactly_forty_characters() {
        let sha = matches("^[0-9a-fA-F]+$", 40);
        assert!(sha.chars().all(|c| c.is_ascii_hexdigit()), "{sha}");
    }

    #[test]
    fn anchored_alternatives_each_give_matches_padded_past_their_open_end() {
        let pattern = "^ssh-(rsa|dss|ed25519) |^ecdsa-sha2-nistp(256|384|521) ";
        let short = matches(pattern, 8);
        assert!(short.starts_with("ssh-"), "{short}");
        let long = matches(pattern, 100);
        assert!(
            long.starts_with("ssh-") || long.starts_with("ecdsa-"),
            "{long}"
        );
        let parsed = Pattern::parse(pattern).unwrap();
        assert_eq!(
            parsed.of_length(7, 0),
            None,
            "nothing shorter than `ssh-rsa `"
        );
    }

    #[test]
    fn a_closed_pattern_has_no_match_outside_its_lengths() {
        let parsed = Pattern::parse("^[a-z]{2,4}$").unwrap();
        assert_eq!(parsed.of_length(1, 0), None);
        assert_eq!(parsed.of_length(5, 0), None);
        assert_eq!(matches("^[a-z]{2,4}$", 3).len(), 3);
    }

    #[test]
    fn repeated_groups_split_a_length_between_their_copies() {
        matches("^(ab|c)+$", 5);
        matches("^[0-9]{3}-[0-9]{2,}$", 9);
        matches("^\\d+(\\.\\d{1,2})?$", 6);
        let parsed = Pattern::parse("^(ab)+$").unwrap();
        assert_eq!(parsed.of_length(5, 0), None, "only even lengths");
    }

    #[test]
    fn any_character_is_picked_readable() {
        assert_eq!(matches("f.*o", 3), "f0o");
        assert_eq!(
            Pattern::parse("^x").unwrap().within(0, None, 4096, 1),
            ["x"]
        );
    }

    #[test]
    fn within_gives_distinct_matches_inside_the_limits_the_longest_included() {
        let parsed = Pattern::parse("^[0-9a-f]+$").unwrap();
        let found = parsed.within(40, Some(40), 4096, 16);
        assert_eq!(found.len(), 1, "{found:?}");
        let found = parsed.within(3, Some(10), 4096, 5);
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(found.iter().all(|s| (3..=10).contains(&s.len())));
        assert_eq!(found.last().map(String::len), Some(10));
    }
}
