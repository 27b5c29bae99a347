//! Status expectations as written in case files: an exact code (`"200"`) or a class (`"2xx"`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One accepted HTTP status or status class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusPattern {
    /// Exactly this status.
    Exact(u16),
    /// The hundreds digit, e.g. `2` for `2xx`.
    Class(u8),
}

impl StatusPattern {
    /// Whether `status` is one this pattern allows.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(code) => code == status,
            StatusPattern::Class(class) => status / 100 == u16::from(class),
        }
    }

    /// Whether every status this pattern admits is a server error.
    pub fn is_server_error(self) -> bool {
        match self {
            StatusPattern::Exact(code) => code >= 500,
            StatusPattern::Class(class) => class == 5,
        }
    }
}

impl FromStr for StatusPattern {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("`{text}` is not an HTTP status: write a code from 100 to 599 such as \"200\", or a class such as \"2xx\"")
        };
        let lower = text.trim().to_ascii_lowercase();
        if let Some(digit) = lower.strip_suffix("xx") {
            return match digit.parse::<u8>() {
                Ok(class @ 1..=5) if digit.len() == 1 => Ok(StatusPattern::Class(class)),
                _ => Err(bad()),
            };
        }
        match lower.parse::<u16>() {
            Ok(code @ 100..=599) => Ok(StatusPattern::Exact(code)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPattern::Exact(code) => write!(f, "{code}"),
            StatusPattern::Class(class) => write!(f, "{class}xx"),
        }
    }
}

impl<'de> Deserialize<'de> for StatusPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for StatusPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Whether `status` matches any of `patterns`.
pub fn any_matches(patterns: &[StatusPattern], status: u16) -> bool {
    patterns.iter().any(|p| p.matches(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_classes() {
        assert_eq!("200".parse(), Ok(StatusPattern::Exact(200)));
        assert_eq!("4XX".parse(), Ok(StatusPattern::Class(4)));
        assert!("600".parse::<StatusPattern>().is_err());
        assert!("2yx".parse::<StatusPattern>().is_err());
        assert!("6xx".parse::<StatusPattern>().is_err());
        assert!("ok".parse::<StatusPattern>().is_err());
    }

    #[test]
    fn class_matches_its_hundred() {
        let class = StatusPattern::Class(4);
        assert!(class.matches(400) && class.matches(499));
        assert!(!class.matches(500) && !class.matches(399));
    }
}
