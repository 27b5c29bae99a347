//! Fields of OpenAPI's own objects that are spelt like JSON Schema keywords, named once
//! here: the `required` flag of a Parameter, Request Body or Header object (a boolean, not a
//! schema's list of names) and a Security Scheme's `type` (`apiKey`, `http`, `oauth2`, not a
//! JSON type). Schema keywords are `schema::Keyword`'s; these are not schema keywords, and
//! the architecture test exempts this file by name for them.

/// The `required` flag of a Parameter, Request Body or Header object.
pub(super) const REQUIRED: &str = "required";

/// A Security Scheme object's `type`.
pub(super) const SCHEME_TYPE: &str = "type";
