//! Answers as the contract documents them, for any operation: the status of an invalid or an
//! unauthorized request (the case's first exact status for that class, else 400 or 401), its
//! body built from the documented schema for that status when there is one (`default`
//! included), and the declared headers of the success response, with values that match
//! their schemas. Built once per operation when the sandbox starts.

use super::respond::{BodyTemplate, TemplateError};
use crate::contract::{Expect, HeaderSpec, Operation, StatusPattern};
use crate::schema::Keyword;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Value};

/// How one kind of error is answered.
pub(super) struct ErrorAnswer {
    /// The status.
    pub(super) status: StatusCode,
    /// The body from the documented schema of that status; `None`: the sandbox's own JSON.
    pub(super) template: Option<BodyTemplate>,
}

impl ErrorAnswer {
    /// For requests of class `expect`, with the fallback status `fallback`.
    pub(super) fn build(
        operation: &Operation,
        expect: Expect,
        fallback: u16,
    ) -> Result<ErrorAnswer, TemplateError> {
        let code = operation
            .expect
            .for_expect(expect)
            .iter()
            .find_map(|p| match p {
                StatusPattern::Exact(code) => Some(*code),
                StatusPattern::Class(_) => None,
            })
            .unwrap_or(fallback);
        ErrorAnswer::for_status(operation, code)
    }

    /// For one exact status: its documented body when it has a schema.
    pub(super) fn for_status(
        operation: &Operation,
        code: u16,
    ) -> Result<ErrorAnswer, TemplateError> {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
        let documented = operation
            .response_for(code)
            .is_some_and(|r| r.schema.is_some());
        let template = if documented {
            Some(BodyTemplate::build(operation, code)?)
        } else {
            None
        };
        Ok(ErrorAnswer { status, template })
    }

    /// The body: the documented one, or `fallback` when none is documented.
    pub(super) fn body(&self, hash: u64, fallback: impl FnOnce() -> Value) -> Vec<u8> {
        self.body_or(hash, || fallback().to_string().into_bytes())
    }

    /// The body: the documented one, or the bytes `fallback` writes when none is documented.
    pub(super) fn body_or(&self, hash: u64, fallback: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        match &self.template {
            Some(template) => template.render(hash),
            None => fallback(),
        }
    }
}

/// The headers the success response declares, with values that match their schemas.
pub(super) fn success_headers(
    operation: &Operation,
    status: u16,
) -> Result<Vec<(HeaderName, HeaderValue)>, TemplateError> {
    let Some(response) = operation.response_for(status) else {
        return Ok(Vec::new());
    };
    response
        .headers
        .iter()
        .map(|header| Ok((header.name.clone(), header_value(header)?)))
        .collect()
}

/// A value for `header` its schema accepts: an example the schema gives, else the first
/// plain candidate that matches.
fn header_value(header: &HeaderSpec) -> Result<HeaderValue, TemplateError> {
    let Some(schema) = &header.schema else {
        return Ok(HeaderValue::from_static("specgate"));
    };
    let document = &*schema.document;
    let given = [Keyword::Const, Keyword::Default]
        .into_iter()
        .filter_map(|k| k.value_in(document).cloned())
        .chain(
            [Keyword::Enum, Keyword::Examples]
                .into_iter()
                .flat_map(|k| {
                    k.value_in(document)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                }),
        );
    let plain = [
        json!(0),
        json!(1),
        json!(100),
        json!(true),
        json!("specgate"),
        json!("2024-01-01T00:00:00Z"),
        json!("2024-01-01"),
        json!("00000000-0000-4000-8000-000000000000"),
    ];
    given
        .chain(plain)
        .find_map(|candidate| {
            let text = match &candidate {
                Value::String(text) => text.clone(),
                Value::Number(_) | Value::Bool(_) => candidate.to_string(),
                _ => return None,
            };
            let fits = schema.validator().is_valid(&header.read_value(&text));
            fits.then(|| HeaderValue::from_str(&text).ok()).flatten()
        })
        .ok_or_else(|| TemplateError::InvalidBody {
            pointer: format!("header {}", header.name),
            message: "no simple value matches the header's schema".to_owned(),
        })
}
