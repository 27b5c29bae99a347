//! The API key: read from the environment, sent only in its header, and scrubbed from
//! everything a run writes (reports, curl lines, snapshots, console).

use std::fmt;

/// The key and the variable it came from. `Debug` never shows the value.
#[derive(Clone)]
pub struct ApiKey {
    env: String,
    value: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(from ${}, redacted)", self.env)
    }
}

impl ApiKey {
    /// The key `value`, read from the variable `env`.
    pub fn new(env: impl Into<String>, value: impl Into<String>) -> ApiKey {
        ApiKey {
            env: env.into(),
            value: value.into(),
        }
    }

    /// Read the key from `env`; `None` when unset or empty.
    pub fn from_env(env: &str) -> Option<ApiKey> {
        let value = std::env::var(env).ok().filter(|v| !v.is_empty())?;
        Some(ApiKey::new(env, value))
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

    /// `text` with every occurrence of the key replaced by the placeholder (a hostile or
    /// careless server may echo it back).
    pub fn scrub(&self, text: &str) -> String {
        if self.value.len() < 4 || !text.contains(&self.value) {
            return text.to_owned();
        }
        text.replace(&self.value, &self.placeholder())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_scrub_never_show_the_value() {
        let key = ApiKey::new("K", "s3cr3t-value");
        assert!(!format!("{key:?}").contains("s3cr3t"));
        assert_eq!(key.scrub("echo s3cr3t-value!"), "echo ${K}!");
    }
}
