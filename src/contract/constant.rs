//! Constant parameters: a header or query value that every request of an operation carries
//! as it is, and that a run never breaks. A path key's fixed query (`/pets?kind=cat`) and the
//! `name=value` pairs of its fragment (AWS's `/#X-Amz-Target=Service.Operation`) are how
//! documents tell apart operations that share a method and a path, so the import writes them
//! as constants: they are not part of the generated request (breaking one would send the
//! request to another operation, not make it invalid), the client adds them to every request
//! of the operation, and the sandbox routes among the operations of one method and path by
//! the constants a request carries.

use super::wire::Location;

/// One constant parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    /// Where it travels: [`Location::Query`] or [`Location::Header`].
    pub location: Location,
    /// Its name (a header's name matches case-insensitively).
    pub name: String,
    /// The value every request carries.
    pub value: String,
}

impl Constant {
    /// Whether a request with this query string (without its `?`) and these headers (looked
    /// up by lower-case name) carries the constant.
    pub fn carried_by(&self, query: Option<&str>, header: &dyn Fn(&str) -> Option<String>) -> bool {
        match self.location {
            Location::Header => {
                header(&self.name.to_ascii_lowercase()).as_deref() == Some(&self.value)
            }
            _ => url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .any(|(name, value)| name == self.name && value == self.value),
        }
    }

    /// Why a constant cannot travel where it says, if it cannot: only a header or a query
    /// parameter can, and a header only with a valid name and visible ASCII.
    pub fn unsendable(&self) -> Option<String> {
        match self.location {
            Location::Query => None,
            Location::Header => {
                let name_ok = http::HeaderName::from_bytes(self.name.as_bytes()).is_ok();
                let value_ok = http::HeaderValue::from_str(&self.value).is_ok();
                match (name_ok, value_ok) {
                    (true, true) => None,
                    (false, _) => Some(format!("`{}` is not a header name", self.name)),
                    (true, false) => Some(format!(
                        "the header value `{}` is not visible ASCII",
                        self.value
                    )),
                }
            }
            other => Some(format!(
                "a constant travels in a header or the query, not in `{}`",
                other.as_str()
            )),
        }
    }
}

/// Whether a request carries every constant of `constants`.
pub fn all_carried(
    constants: &[Constant],
    query: Option<&str>,
    header: &dyn Fn(&str) -> Option<String>,
) -> bool {
    constants.iter().all(|c| c.carried_by(query, header))
}
