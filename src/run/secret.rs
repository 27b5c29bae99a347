//! The API key: read from the environment, sent only in its header, and scrubbed from
//! everything a run writes (reports, curl lines, snapshots, console).
//!
//! A server may echo the key back anywhere and in any form, so scrubbing looks for the key
//! in every case variant (ASCII case is ignored), percent-encoded, and base64-encoded
//! (standard and URL-safe alphabets, alone or inside a longer base64 string), all in one
//! Aho-Corasick pass. Secrets the run obtains while running (OAuth2 tokens) join the
//! scrubbed set the moment they are known, in every clone of the key.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine;
use std::fmt;
use std::sync::Arc;

/// Keys shorter than this are not scrubbed: they would match ordinary text everywhere.
const MIN_SCRUBBED_LEN: usize = 4;

/// The key and the variable it came from. `Debug` never shows the value.
#[derive(Clone)]
pub struct ApiKey {
    env: String,
    value: String,
    forms: Arc<Forms>,
    /// The run's other keys, when its operations read theirs from other variables: each is
    /// sent only by its own operations and scrubbed from everything, like this one.
    others: Arc<[ApiKey]>,
    /// Secrets the run obtained while running (OAuth2 access tokens), shared by every clone:
    /// scrubbed like the keys from the moment they are known.
    obtained: Arc<std::sync::Mutex<Vec<ApiKey>>>,
}

/// Every form of the key that is scrubbed, compiled once.
struct Forms {
    matcher: Option<AhoCorasick>,
    patterns: Vec<String>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(from ${}, redacted)", self.env)
    }
}

impl ApiKey {
    /// The key `value`, read from the variable `env`.
    pub fn new(env: impl Into<String>, value: impl Into<String>) -> ApiKey {
        let value = value.into();
        ApiKey {
            env: env.into(),
            forms: Arc::new(Forms::of(&value)),
            value,
            others: Arc::from(Vec::new()),
            obtained: Arc::default(),
        }
    }

    /// Scrub `value` (a token the run obtained) from now on, shown as `${label}`.
    pub fn remember(&self, label: &str, value: &str) {
        if let Ok(mut obtained) = self.obtained.lock() {
            if !obtained.iter().any(|k| k.value == value) {
                obtained.push(ApiKey::new(label, value));
            }
        }
    }

    /// The secrets obtained so far.
    fn obtained(&self) -> Vec<ApiKey> {
        self.obtained.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// This key with the run's other keys (one per variable its operations name).
    pub fn with_others(mut self, others: Vec<ApiKey>) -> ApiKey {
        self.others = Arc::from(others);
        self
    }

    /// The key read from `env`: this one or one of the others.
    pub fn for_env(&self, env: &str) -> Option<&ApiKey> {
        std::iter::once(self)
            .chain(self.others.iter())
            .find(|k| k.env == env)
    }

    /// Every key of the run: this one first.
    fn all(&self) -> impl Iterator<Item = &ApiKey> {
        std::iter::once(self).chain(self.others.iter())
    }

    /// Read the key from `env`; `None` when unset or empty.
    pub fn from_env(env: &str) -> Option<ApiKey> {
        let value = std::env::var(env).ok().filter(|v| !v.is_empty())?;
        Some(ApiKey::new(env, value))
    }

    /// Why the key cannot travel in an HTTP header, if it cannot (a control character, a
    /// newline pasted with it, a byte outside visible ASCII). The message never shows it.
    pub fn header_problem(&self) -> Option<String> {
        if let Some(other) = self.others.iter().find_map(ApiKey::header_problem) {
            return Some(other);
        }
        if http::HeaderValue::from_str(&self.value).is_ok() {
            return None;
        }
        let at = self
            .value
            .bytes()
            .position(|b| !(b == b'\t' || (0x20..0x7f).contains(&b)))
            .unwrap_or(0);
        Some(format!(
            "the API key in ${} cannot be sent in an HTTP header: byte {} of its {} is a control \
             character or not visible ASCII\n  fix: check the variable (a trailing newline?)",
            self.env,
            at + 1,
            self.value.len()
        ))
    }

    /// The variable's name, e.g. `SPECGATE_API_KEY`.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The real value: only for the request header.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// What is written wherever the key would appear: `${SPECGATE_API_KEY}`.
    pub fn placeholder(&self) -> String {
        crate::generate::key_placeholder(&self.env)
    }

    /// `text` with every form of the key replaced by the placeholder (a hostile or careless
    /// server may echo it back).
    pub fn scrub(&self, text: &str) -> String {
        let mut scrubbed = self.scrub_own(text);
        for other in self.others.iter().chain(&self.obtained()) {
            scrubbed = other.scrub_own(&scrubbed);
        }
        scrubbed
    }

    fn scrub_own(&self, text: &str) -> String {
        let Some(matcher) = &self.forms.matcher else {
            return text.to_owned();
        };
        if !matcher.is_match(text) {
            return text.to_owned();
        }
        let placeholder = self.placeholder();
        let mut out = String::with_capacity(text.len());
        matcher.replace_all_with(text, &mut out, |_, _, out| {
            out.push_str(&placeholder);
            true
        });
        out
    }

    /// `text` scrubbed, then cut to at most `limit` bytes on a character boundary, with any
    /// start of a form of the key left at the cut removed too; `true` when it was cut.
    pub fn scrub_excerpt(&self, text: &str, limit: usize) -> (String, bool) {
        // Scrubbing first means no key straddles the cut; only the head is scrubbed, so a
        // long body costs no more than its excerpt.
        let obtained = self.obtained();
        let longest = self
            .all()
            .chain(&obtained)
            .flat_map(|k| k.forms.patterns.iter())
            .map(String::len)
            .max()
            .unwrap_or(0);
        let head = crate::results::excerpt(text, limit.saturating_add(longest)).0;
        let scrubbed = self.scrub(&head);
        let (mut cut, truncated) = crate::results::excerpt(&scrubbed, limit);
        if truncated || head.len() < text.len() {
            let keep = cut.len() - self.partial_at_end(&cut);
            cut.truncate(keep);
            return (cut, true);
        }
        (cut, truncated)
    }

    /// The length of the longest tail of `text` that begins a form of the key.
    fn partial_at_end(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let mut longest = 0;
        let obtained = self.obtained();
        for pattern in self
            .all()
            .chain(&obtained)
            .flat_map(|k| k.forms.patterns.iter())
        {
            let most = (pattern.len() - 1).min(bytes.len());
            for length in (longest + 1..=most).rev() {
                let tail = &bytes[bytes.len() - length..];
                if tail.eq_ignore_ascii_case(&pattern.as_bytes()[..length]) {
                    longest = length;
                    break;
                }
            }
        }
        // A tail that starts mid-character cannot begin a pattern of whole characters.
        while longest > 0 && !text.is_char_boundary(text.len() - longest) {
            longest -= 1;
        }
        longest
    }
}

impl Forms {
    fn of(value: &str) -> Forms {
        if value.len() < MIN_SCRUBBED_LEN {
            return Forms {
                matcher: None,
                patterns: Vec::new(),
            };
        }
        let mut patterns = vec![
            value.to_owned(),
            value.to_lowercase(),
            value.to_uppercase(),
            percent_encoded(value, false),
            percent_encoded(value, true),
        ];
        patterns.extend(base64_forms(value.as_bytes()));
        patterns.retain(|p| p.len() >= MIN_SCRUBBED_LEN);
        patterns.sort();
        patterns.dedup();
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Forms { matcher, patterns }
    }
}

/// Every byte outside RFC 3986's unreserved set.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Every byte outside RFC 3986's unreserved set as `%XX`; `plus` writes spaces as `+`
/// (HTML forms). Hex case does not matter: matching ignores ASCII case.
fn percent_encoded(value: &str, plus: bool) -> String {
    let encoded = percent_encoding::utf8_percent_encode(value, UNRESERVED_KEPT).to_string();
    // Every `%` of the input is itself escaped (`%25`), so `%20` is only ever a space.
    if plus {
        encoded.replace("%20", "+")
    } else {
        encoded
    }
}

/// The key in base64, standard and URL-safe: on its own, and the characters that encode
/// only the key's bits wherever it starts inside a longer encoded string (three
/// alignments), e.g. `Basic base64(user:key)`.
fn base64_forms(key: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut forms = Vec::new();
    for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        for offset in 0..3usize {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(key);
            let encoded = engine.encode(&bytes);
            // Characters that hold a bit of the leading filler, or of what follows the key.
            let skip = (offset * 8).div_ceil(6);
            let mixed_end = usize::from((bytes.len() * 8) % 6 != 0);
            if encoded.len() > skip + mixed_end {
                forms.push(encoded[skip..encoded.len() - mixed_end].to_owned());
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    const VALUE: &str = "s3cr3t-Value/42+x";

    fn key() -> ApiKey {
        ApiKey::new("K", VALUE)
    }

    #[test]
    fn debug_and_scrub_never_show_the_value() {
        let key = ApiKey::new("K", "s3cr3t-value");
        assert!(!format!("{key:?}").contains("s3cr3t"));
        assert_eq!(key.scrub("echo s3cr3t-value!"), "echo ${K}!");
    }

    #[test]
    fn every_case_and_encoding_of_the_key_is_scrubbed() {
        let key = key();
        let echoes = [
            VALUE.to_lowercase(),
            VALUE.to_uppercase(),
            "s3CR3t-vAlue/42+X".to_owned(),
            "s3cr3t-Value%2F42%2Bx".to_owned(),
            "s3cr3t-Value%2f42%2bx".to_owned(),
            STANDARD.encode(VALUE),
            URL_SAFE.encode(VALUE),
            STANDARD.encode(format!("user:{VALUE}")),
            STANDARD.encode(format!("ab:{VALUE}:tail")),
            STANDARD.encode(format!("x{VALUE}")),
        ];
        for echo in echoes {
            let text = format!("before {echo} after");
            let scrubbed = key.scrub(&text);
            assert!(!scrubbed.contains(&echo), "{echo} survived: {scrubbed}");
            assert!(scrubbed.contains("${K}"), "{scrubbed}");
        }
    }

    #[test]
    fn an_excerpt_never_keeps_part_of_the_key() {
        let key = key();
        for pad in 0..VALUE.len() + 2 {
            let text = format!(
                "{}{VALUE}{}",
                "a".repeat(40 - pad.min(40)),
                " and more".repeat(20)
            );
            let limit = 40;
            let (cut, truncated) = key.scrub_excerpt(&text, limit);
            assert!(truncated);
            assert!(cut.len() <= limit);
            for length in 4..VALUE.len() {
                assert!(
                    !cut.to_lowercase()
                        .ends_with(&VALUE[..length].to_lowercase()),
                    "{cut:?} ends with part of the key"
                );
            }
        }
        // The key's own prefix as the end of a short text is left alone when nothing is cut.
        assert_eq!(
            key.scrub_excerpt("ok s3cr", 100),
            ("ok s3cr".to_owned(), false)
        );
    }

    #[test]
    fn a_secret_obtained_later_is_scrubbed_by_every_clone() {
        let key = key();
        let clone = key.clone();
        key.remember("K_TOKEN", "tok-abcdef-123");
        assert_eq!(clone.scrub("echo tok-abcdef-123"), "echo ${K_TOKEN}");
        let (cut, _) = clone.scrub_excerpt("x tok-abcdef-123 y", 100);
        assert_eq!(cut, "x ${K_TOKEN} y");
    }

    #[test]
    fn a_key_that_cannot_be_a_header_value_is_named_not_shown() {
        let key = ApiKey::new("K", "abc\ndef");
        let problem = key.header_problem().expect("refused");
        assert!(problem.contains("byte 4"), "{problem}");
        assert!(!problem.contains("abc"));
        assert!(ApiKey::new("K", VALUE).header_problem().is_none());
    }
}
