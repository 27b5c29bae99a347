//! The on-disk shape of a case file (TOML), exactly as a person writes it.
//!
//! This module only describes and parses the file; [`super::load_case`] turns it into an
//! [`super::Operation`] with its schemas loaded and checked. Unknown keys are errors, so a
//! typo never silently switches a check off. Values a problem can be found in keep their
//! place in the file (`Spanned`), so the error names the line that holds them.

use super::status::StatusPattern;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseFile {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    pub auth: Option<AuthSections>,
    /// `None`: the operation sends no body (a GET, a DELETE).
    pub request: Option<RequestSection>,
    #[serde(default)]
    pub parameters: Vec<ParameterSection>,
    #[serde(default)]
    pub responses: BTreeMap<Spanned<String>, ResponseSection>,
    pub expect: ExpectSection,
    #[serde(default)]
    pub redactions: RedactionSection,
    #[serde(default)]
    pub examples: Vec<ExampleSection>,
    #[serde(default)]
    pub sandbox: SandboxSection,
    #[serde(default)]
    pub links: LinksSection,
    /// Headers and query parameters sent unchanged with every request.
    #[serde(default)]
    pub constants: Vec<ConstantSection>,
}

/// `[auth]` (one scheme) or `[[auth]]` (several: each entry's `alternative` groups them).
#[derive(Debug)]
pub(super) enum AuthSections {
    One(Box<AuthSection>),
    Several(Vec<AuthSection>),
}

impl AuthSections {
    pub(super) fn into_vec(self) -> Vec<AuthSection> {
        match self {
            AuthSections::One(one) => vec![*one],
            AuthSections::Several(several) => several,
        }
    }
}

impl<'de> Deserialize<'de> for AuthSections {
    /// A table or an array of tables, each read strictly, so an error inside an entry keeps
    /// its own message and place (an untagged enum would say only "no variant matched").
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Sections;
        impl<'de> serde::de::Visitor<'de> for Sections {
            type Value = AuthSections;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an [auth] table or [[auth]] entries")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<AuthSections, A::Error> {
                let de = serde::de::value::MapAccessDeserializer::new(map);
                AuthSection::deserialize(de).map(|one| AuthSections::One(Box::new(one)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<AuthSections, A::Error> {
                let de = serde::de::value::SeqAccessDeserializer::new(seq);
                Vec::<AuthSection>::deserialize(de).map(AuthSections::Several)
            }
        }
        deserializer.deserialize_any(Sections)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthSection {
    /// Entries with the same number are sent together; different numbers are alternatives,
    /// tried in ascending order (default 1).
    pub alternative: Option<u32>,
    /// `api-key` (the default), `bearer`, `basic`, `cookie` or `query`.
    #[serde(default)]
    pub scheme: Option<Spanned<String>>,
    /// The header of an `api-key`; bearer and basic use `authorization`.
    pub header: Option<Spanned<String>>,
    /// The cookie's name, for `scheme = "cookie"`.
    pub cookie: Option<Spanned<String>>,
    /// The query parameter's name, for `scheme = "query"`.
    pub query: Option<Spanned<String>>,
    /// For `scheme = "oauth2-client-credentials"`: where tokens are obtained (absolute, or
    /// relative to the base URL), the variable of the client id, and the scopes asked for.
    /// `env` holds the client secret.
    pub token_url: Option<Spanned<String>>,
    pub client_id_env: Option<Spanned<String>>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The variable holding the secret; `SPECGATE_API_KEY` when absent.
    pub env: Option<Spanned<String>>,
}

impl AuthSection {
    /// The variable holding the secret.
    pub(super) fn env(&self) -> &str {
        self.env
            .as_ref()
            .map_or("SPECGATE_API_KEY", |env| env.get_ref().as_str())
    }

    /// Where the entry is written: its first key that names where the secret travels or
    /// how, for a problem of the entry as a whole; `None` for an empty `[auth]`.
    pub(super) fn span(&self) -> Option<std::ops::Range<usize>> {
        [
            &self.header,
            &self.cookie,
            &self.query,
            &self.scheme,
            &self.token_url,
            &self.env,
        ]
        .into_iter()
        .flatten()
        .map(Spanned::span)
        .min_by_key(|span| span.start)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequestSection {
    #[serde(default = "default_content_type")]
    pub content_type: String,
    pub schema: Spanned<String>,
    /// Whether every request must carry a body (OpenAPI's `requestBody.required`).
    #[serde(default = "yes")]
    pub required: bool,
    /// How each field of a form body is serialised (OpenAPI's `encoding`), by field name.
    #[serde(default)]
    pub encoding: std::collections::BTreeMap<String, EncodingSection>,
}

/// One field's entry of `[request.encoding]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EncodingSection {
    /// `form` (the default), `spaceDelimited`, `pipeDelimited` or `deepObject`.
    pub style: Option<Spanned<String>>,
    /// OpenAPI's `explode`; true for `form`, false otherwise, when absent.
    pub explode: Option<bool>,
}

fn yes() -> bool {
    true
}

/// One `[[parameters]]` entry: a path, query, header or cookie parameter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ParameterSection {
    pub name: Spanned<String>,
    #[serde(rename = "in")]
    pub location: Spanned<String>,
    /// Path parameters are always required; others default to optional.
    pub required: Option<bool>,
    pub schema: Spanned<SchemaSource>,
    /// OpenAPI's serialisation style; the location's default when absent.
    pub style: Option<Spanned<String>>,
    /// OpenAPI's `explode`; true for `form`, false otherwise, when absent.
    pub explode: Option<bool>,
    /// The media type the value is serialised as (OpenAPI's `content`), in place of `style`
    /// and `explode`: `application/json` (or a `+json` type) or `text/plain`.
    pub content_type: Option<Spanned<String>>,
    /// OpenAPI's `allowEmptyValue`: an empty value (`name=`) is valid whatever the schema
    /// says; query parameters only.
    pub allow_empty_value: Option<Spanned<bool>>,
    /// The values the server knows (ids of existing resources).
    pub known: Option<Vec<serde_json::Value>>,
    /// Where valid values come from at run time: an earlier operation's success body.
    pub link: Option<LinkSection>,
}

/// One `[[constants]]` entry: a header or query parameter every request carries as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConstantSection {
    pub name: Spanned<String>,
    #[serde(rename = "in")]
    pub location: Spanned<String>,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkSection {
    /// The producing operation's case name.
    pub operation: String,
    /// A JSON pointer into its success body.
    pub pointer: Spanned<String>,
}

fn default_content_type() -> String {
    "application/json".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResponseSection {
    pub schema: Option<Spanned<String>>,
    /// The media types the body may be served as (`text/plain`, `application/xml`, `*/*`);
    /// absent: JSON.
    #[serde(default)]
    pub media: Vec<String>,
    /// Declared headers by name.
    #[serde(default)]
    pub headers: BTreeMap<Spanned<String>, HeaderSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HeaderSection {
    #[serde(default)]
    pub required: bool,
    pub schema: Option<Spanned<SchemaSource>>,
}

/// A schema given as a file (relative to the case file) or written inline as a TOML table,
/// for the small schemas of headers (`schema = { type = "integer", minimum = 0 }`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SchemaSource {
    File(String),
    Inline(serde_json::Map<String, serde_json::Value>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExpectSection {
    pub valid: Spanned<Vec<Spanned<StatusPattern>>>,
    pub invalid: Spanned<Vec<Spanned<StatusPattern>>>,
    #[serde(default)]
    pub unauthorized: Vec<Spanned<StatusPattern>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RedactionSection {
    #[serde(default)]
    pub response: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExampleSection {
    pub name: Spanned<String>,
    pub expect: crate::contract::Expect,
    /// The body; absent for an operation without one.
    pub body: Option<serde_json::Value>,
    /// Parameter values by location (`{ path = { id = "a1" } }`); the plan's own valid
    /// values for any not given.
    #[serde(default)]
    pub parameters: serde_json::Map<String, serde_json::Value>,
}

/// `[links]`: how this case's path parameters get their ids when no `link` or `known` is
/// declared on them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinksSection {
    /// `false`: no link is inferred; undeclared ids are invented (their 404s conform).
    #[serde(default = "inferred")]
    pub infer: bool,
}

impl Default for LinksSection {
    fn default() -> LinksSection {
        LinksSection { infer: true }
    }
}

fn inferred() -> bool {
    true
}

/// How the built-in sandbox fills its success responses for this operation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SandboxSection {
    /// JSON pointer into the success body -> template; `{hash}` is replaced by a hash of the
    /// request body, so values are unique-looking but reproducible.
    #[serde(default)]
    pub fields: BTreeMap<Spanned<String>, String>,
}
