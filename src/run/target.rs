//! The target: a base URL that keeps its path, the endpoint of each case under it, and the
//! rules for what a run may talk to (no plain HTTP off loopback unless asked).

use url::Url;

/// Why a base URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a URL.
    #[error("--base-url `{given}` is not a URL: {problem}; write it like https://sandbox.example.com/v1")]
    NotAUrl {
        /// The value given.
        given: String,
        /// What the URL parser said.
        problem: String,
    },
    /// Not http or https.
    #[error("--base-url `{given}` uses `{scheme}`; only http and https are supported")]
    Scheme {
        /// The value given.
        given: String,
        /// Its scheme.
        scheme: String,
    },
    /// Plain http to a host that is not loopback.
    #[error(
        "--base-url `{given}` sends the API key over plain http to a non-loopback host; \
         use https, or pass --allow-insecure if this really is a trusted sandbox"
    )]
    Insecure {
        /// The value given.
        given: String,
    },
    /// A query or fragment, which case paths cannot be joined to.
    #[error("--base-url `{given}` must not carry a query or fragment; give only scheme, host, port and path")]
    QueryOrFragment {
        /// The value given.
        given: String,
    },
}

/// Parse and vet `--base-url`.
pub fn parse_base_url(given: &str, allow_insecure: bool) -> Result<Url, BaseUrlError> {
    let url = Url::parse(given.trim()).map_err(|e| BaseUrlError::NotAUrl {
        given: given.to_owned(),
        problem: e.to_string(),
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure || is_loopback(&url) => {}
        "http" => {
            return Err(BaseUrlError::Insecure {
                given: given.to_owned(),
            })
        }
        other => {
            return Err(BaseUrlError::Scheme {
                given: given.to_owned(),
                scheme: other.to_owned(),
            })
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment {
            given: given.to_owned(),
        });
    }
    Ok(url)
}

/// Whether the URL's host is this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The base URL's path plus the case's path: `https://h/v1` and `https://h/v1/` with
/// `/auth/x` both give `https://h/v1/auth/x`.
pub fn endpoint(base: &Url, case_path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        case_path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_is_kept_with_or_without_trailing_slash() {
        for base in ["https://host/v1", "https://host/v1/"] {
            let url = parse_base_url(base, false).unwrap();
            assert_eq!(
                endpoint(&url, "/auth/sessionlink-v2").as_str(),
                "https://host/v1/auth/sessionlink-v2"
            );
        }
        let root = parse_base_url("https://host", false).unwrap();
        assert_eq!(endpoint(&root, "/a").as_str(), "https://host/a");
    }

    #[test]
    fn plain_http_is_refused_off_loopback_unless_allowed() {
        assert!(matches!(
            parse_base_url("http://partner.example/v1", false),
            Err(BaseUrlError::Insecure { .. })
        ));
        assert!(parse_base_url("http://partner.example/v1", true).is_ok());
        for local in [
            "http://127.0.0.1:9/v1",
            "http://localhost:9/v1",
            "http://[::1]:9/v1",
        ] {
            assert!(parse_base_url(local, false).is_ok(), "{local}");
        }
    }

    #[test]
    fn nonsense_and_other_schemes_are_refused() {
        assert!(matches!(
            parse_base_url("not a url", false),
            Err(BaseUrlError::NotAUrl { .. })
        ));
        assert!(matches!(
            parse_base_url("ftp://host/v1", false),
            Err(BaseUrlError::Scheme { .. })
        ));
        assert!(matches!(
            parse_base_url("https://host/v1?x=1", false),
            Err(BaseUrlError::QueryOrFragment { .. })
        ));
    }
}
