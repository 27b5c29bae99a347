//! The catalogue of faults: realistic regressions the sandbox commits on request, each one
//! aimed at one check of the harness, so specgate's own tests can prove that check catches it.
//!
//! This module owns the names, their parsing (`--fault NAME[=PARAMETER]`) and the one-line
//! descriptions `specgate sandbox --list-faults` prints. What each fault does to a request or
//! response lives with the code that answers requests ([`super::server`], [`super::respond`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How long `slow-response` waits when no delay is given.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_millis(15_000);

/// Where `redirect-cross-origin` sends clients when no URL is given.
pub const DEFAULT_REDIRECT_LOCATION: &str = "http://redirect.specgate.invalid/v1";

/// A string longer than this makes `server-error-long-string` fail, like a `VARCHAR(255)`.
pub const LONG_STRING_CHARS: usize = 255;

/// `rate-limit` answers every this-many-th request with 429.
pub const RATE_LIMIT_EVERY: u64 = 50;

/// The size of the body `oversized-body` sends.
pub const OVERSIZED_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The status `unknown-id-status` answers an unknown id with when none is given: 409, as a
/// create-or-replace answers a name it takes to be another's.
pub const DEFAULT_UNKNOWN_ID_STATUS: u16 = 409;

/// The status `unique-create` and `create-conflict` answer with when none is given: 409
/// Conflict, a create whose unique value is taken.
pub const DEFAULT_CONFLICT_STATUS: u16 = 409;

/// A realistic regression the sandbox can be told to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Accepts payloads whose only violations are missing required fields.
    AcceptMissingRequired,
    /// Accepts payloads whose only violations are JSON type mismatches.
    AcceptWrongType,
    /// Does not check `format` (e.g. `date-time`).
    AcceptBadFormat,
    /// Checks string lengths one code point too leniently: `maxLength`+1 and `minLength`−1
    /// pass.
    AcceptLengthOffByOne,
    /// Does not check `minimum`, `maximum` or their exclusive forms.
    AcceptOutOfRange,
    /// Does not check `pattern`.
    AcceptPatternMiss,
    /// Accepts properties that `additionalProperties: false` (or `unevaluatedProperties`)
    /// forbids.
    AcceptUnknownField,
    /// An array one item past `maxItems` passes (the classic `>` for `>=`).
    AcceptTooManyItems,
    /// Does not check `uniqueItems`.
    AcceptDuplicateItems,
    /// Checks `oneOf` as if it were `anyOf`: a value matching two branches passes.
    AcceptOneOfTwo,
    /// 400 for a date-time in one legal RFC 3339 form: a lower-case `t` separator.
    RejectDateTimeForm,
    /// Rejects a valid payload holding one enum value; `None` picks the default target
    /// (the last value of the first optional enum property of the request schema).
    RejectEnumValue(Option<EnumValueTarget>),
    /// 500 when any string in the body is longer than [`LONG_STRING_CHARS`].
    ServerErrorLongString,
    /// A string property of the success body becomes a number.
    ResponseWrongType,
    /// An enum property of the success body gets a value outside its enum.
    ResponseEnumOutside,
    /// A property of the success body becomes `null`.
    ResponseNull,
    /// A property of the success body is renamed (camelCase to snake_case).
    ResponseRenamedField,
    /// Success bodies are served as `text/plain`.
    WrongContentType,
    /// Success bodies are declared JSON but cut short.
    InvalidJsonBody,
    /// A missing or wrong key is accepted.
    AuthNotEnforced,
    /// A missing or wrong key is answered with 400 instead of 401.
    AuthWrongStatus,
    /// Success bodies gain an undocumented field.
    DriftNewField,
    /// Fixed-template values of the success body become upper-case.
    DriftStatusValue,
    /// One always-present, non-redacted property disappears from success bodies.
    DriftDroppedField,
    /// The trigger input is answered only after this delay.
    SlowResponse(Duration),
    /// The trigger input gets a [`OVERSIZED_BODY_BYTES`] body.
    OversizedBody,
    /// Every [`RATE_LIMIT_EVERY`]-th request gets 429 with `Retry-After: 1`.
    RateLimit,
    /// Valid requests are redirected (307) to another origin.
    RedirectCrossOrigin(String),
    /// A path parameter that fails its schema is answered 500 (a handler that parses the id
    /// before checking it).
    ServerErrorPathParam,
    /// A query parameter one past its `maximum` (or below its `minimum`) passes.
    AcceptQueryOffByOne,
    /// Error answers (400, 401, 404) break their documented schemas.
    ErrorBodyOffSchema,
    /// Error answers (400, 401, 404) are an HTML page where the case documents JSON.
    ErrorAsHtml,
    /// The named operation does not check the key (empty: the first, by name, that has
    /// auth).
    AuthSkippedOn(String),
    /// Valid requests with this method get 202, a status the operation does not document.
    UndocumentedStatusOn(String),
    /// After a 5xx, the connection is closed without `Connection: close` (as uvicorn does),
    /// and the close reaches the client only after its next request on it.
    CloseAfter5xx,
    /// A successful DELETE does not forget the resource: it is still served afterwards.
    DeletedStillServed,
    /// A producer answers a create with its new resource but never stores it: the id it
    /// returned names nothing.
    CreatedNotStored,
    /// A method a path does not serve gets 500 instead of 405.
    UndocumentedMethod500,
    /// A 405's `Allow` lists the methods of the first operation's path, whatever the path.
    AllowOneRoute,
    /// A body of a media type the operation does not declare is read as if it were declared.
    AcceptUndeclaredContentType,
    /// A body of a media type the operation does not declare gets 500.
    ServerErrorUndeclaredContentType,
    /// Success bodies return a `writeOnly` property (a secret the client wrote).
    WriteOnlyReturned,
    /// Each 204 is followed on the wire by a body, which HTTP forbids.
    BodyOnNoContent,
    /// An id the sandbox does not hold is answered with this client error (409 "already
    /// exists", 403 "not yours") instead of the operation's documented not-found answer: a
    /// server's own way of saying it holds no such resource. Conformant where the operation
    /// documents the status, `rejects-valid` where it does not.
    UnknownIdStatus(u16),
    /// A POST that repeats a request it already answered with success (the same target and
    /// body) is answered with this client error, as a server enforcing a unique field
    /// answers a create whose value is taken: the server is right, and a run that made the
    /// resource before has no finding.
    UniqueCreate(u16),
    /// Every valid POST is answered with this client error: a create that never succeeds,
    /// a finding even where the operation documents the status.
    CreateConflict(u16),
}

/// The request-body value `reject-enum-value=POINTER:VALUE` refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValueTarget {
    /// A JSON pointer into the request body, e.g. `/kind`.
    pub pointer: String,
    /// The refused value as written; matches a string equal to it, or a non-string whose
    /// JSON text equals it.
    pub value: String,
}

/// One line of `--list-faults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    /// The name as written after `--fault`, e.g. `slow-response`.
    pub name: &'static str,
    /// The optional parameter's syntax after the name, e.g. `=MS`; empty when there is none.
    pub parameter: &'static str,
    /// The kind of regression, named after the check that catches it.
    pub category: &'static str,
    /// What the fault does, for `--list-faults`.
    pub description: &'static str,
}

impl FaultInfo {
    /// The description, led by the optional parameter's syntax (`[=MS] ...`).
    pub fn summary(&self) -> String {
        if self.parameter.is_empty() {
            self.description.to_owned()
        } else {
            format!("[{}] {}", self.parameter, self.description)
        }
    }
}

const CATALOGUE: &[FaultInfo] = &[
    FaultInfo {
        name: "accept-missing-required",
        parameter: "",
        category: "accepts-invalid",
        description: "accepts payloads whose only violations are missing required fields",
    },
    FaultInfo {
        name: "accept-wrong-type",
        parameter: "",
        category: "accepts-invalid",
        description: "accepts payloads whose only violations are JSON type mismatches",
    },
    FaultInfo {
        name: "accept-bad-format",
        parameter: "",
        category: "accepts-invalid",
        description: "does not check `format` (e.g. accepts a date-time without its time)",
    },
    FaultInfo {
        name: "accept-length-off-by-one",
        parameter: "",
        category: "accepts-invalid",
        description: "a string one code point past `maxLength` (or short of `minLength`) passes",
    },
    FaultInfo {
        name: "accept-out-of-range",
        parameter: "",
        category: "accepts-invalid",
        description: "does not check `minimum`/`maximum` (the range check was dropped)",
    },
    FaultInfo {
        name: "accept-pattern-miss",
        parameter: "",
        category: "accepts-invalid",
        description: "does not check `pattern`",
    },
    FaultInfo {
        name: "accept-unknown-field",
        parameter: "",
        category: "accepts-invalid",
        description: "accepts properties `additionalProperties: false` forbids",
    },
    FaultInfo {
        name: "accept-too-many-items",
        parameter: "",
        category: "accepts-invalid",
        description: "an array one item past `maxItems` passes",
    },
    FaultInfo {
        name: "accept-duplicate-items",
        parameter: "",
        category: "accepts-invalid",
        description: "does not check `uniqueItems`",
    },
    FaultInfo {
        name: "accept-one-of-two",
        parameter: "",
        category: "accepts-invalid",
        description: "checks `oneOf` as `anyOf`: a value that matches two branches passes",
    },
    FaultInfo {
        name: "reject-date-time-form",
        parameter: "",
        category: "rejects-valid",
        description: "400 for a legal date-time written with a lower-case `t` (RFC 3339 allows it)",
    },
    FaultInfo {
        name: "reject-enum-value",
        parameter: "=POINTER:VALUE",
        category: "rejects-valid",
        description: "400 for valid payloads holding this enum value (default: the last value of the first optional enum property)",
    },
    FaultInfo {
        name: "server-error-long-string",
        parameter: "",
        category: "server-error",
        description: "500 when any string in a valid body is longer than 255 characters (a column overflow)",
    },
    FaultInfo {
        name: "response-wrong-type",
        parameter: "",
        category: "response-schema",
        description: "a string property of success bodies becomes a number",
    },
    FaultInfo {
        name: "response-enum-outside",
        parameter: "",
        category: "response-schema",
        description: "an enum property of success bodies gets a value outside its enum (upper-cased)",
    },
    FaultInfo {
        name: "response-null",
        parameter: "",
        category: "response-schema",
        description: "a property of success bodies becomes null",
    },
    FaultInfo {
        name: "response-renamed-field",
        parameter: "",
        category: "drift",
        description: "a property of success bodies is renamed to snake_case (caught by drift when the schema allows extra and requires no properties)",
    },
    FaultInfo {
        name: "wrong-content-type",
        parameter: "",
        category: "content-type",
        description: "success bodies are served as text/plain",
    },
    FaultInfo {
        name: "invalid-json-body",
        parameter: "",
        category: "content-type",
        description: "success bodies are declared application/json but cut short, so they do not parse",
    },
    FaultInfo {
        name: "auth-not-enforced",
        parameter: "",
        category: "auth-not-enforced",
        description: "a missing or wrong key is accepted as if it were valid",
    },
    FaultInfo {
        name: "auth-wrong-status",
        parameter: "",
        category: "status-undocumented",
        description: "a missing or wrong key is answered with 400 instead of 401",
    },
    FaultInfo {
        name: "drift-new-field",
        parameter: "",
        category: "drift",
        description: "success bodies gain an undocumented field (`riskScore`)",
    },
    FaultInfo {
        name: "drift-status-value",
        parameter: "",
        category: "drift",
        description: "values set by fixed sandbox templates (no {hash}) become upper-case",
    },
    FaultInfo {
        name: "drift-dropped-field",
        parameter: "",
        category: "drift",
        description: "success bodies lose their last property not named in the case's redactions",
    },
    FaultInfo {
        name: "slow-response",
        parameter: "=MS",
        category: "transport",
        description: "the trigger input (a valid body holding a whitespace-only string) is answered after MS milliseconds (default 15000)",
    },
    FaultInfo {
        name: "oversized-body",
        parameter: "",
        category: "transport",
        description: "the trigger input (a valid body holding a whitespace-only string) gets a 16 MiB JSON body",
    },
    FaultInfo {
        name: "rate-limit",
        parameter: "",
        category: "none",
        description: "every 50th request gets 429 with `Retry-After: 1` (a client that waits and retries sees no finding)",
    },
    FaultInfo {
        name: "redirect-cross-origin",
        parameter: "=URL",
        category: "rejects-valid",
        description: "valid requests get 307 to URL, another origin (default http://redirect.specgate.invalid/v1)",
    },
    FaultInfo {
        name: "server-error-path-param",
        parameter: "",
        category: "server-error",
        description: "a path parameter that fails its schema (a malformed id) is answered 500",
    },
    FaultInfo {
        name: "accept-query-off-by-one",
        parameter: "",
        category: "accepts-invalid",
        description: "a query parameter one past its maximum (or below its minimum) passes",
    },
    FaultInfo {
        name: "error-body-off-schema",
        parameter: "",
        category: "response-schema",
        description: "error answers (invalid request, unknown id, missing key) break their documented schemas",
    },
    FaultInfo {
        name: "error-as-html",
        parameter: "",
        category: "content-type",
        description: "error answers (invalid request, unknown id, missing key) are an HTML page where JSON is documented",
    },
    FaultInfo {
        name: "auth-skipped-on",
        parameter: "=OPERATION",
        category: "auth-not-enforced",
        description: "the named operation (a case name; default: the first that has auth) does not check the key",
    },
    FaultInfo {
        name: "undocumented-status-on",
        parameter: "=METHOD",
        category: "status-undocumented",
        description: "valid requests with METHOD (e.g. DELETE) get 202, a status the operation does not document",
    },
    FaultInfo {
        name: "close-after-5xx",
        parameter: "",
        category: "none",
        description: "after a 5xx the connection is closed without `Connection: close` (as uvicorn does), just as the client sends its next request on it (a client that retries on a fresh connection sees no finding)",
    },
    FaultInfo {
        name: "deleted-still-served",
        parameter: "",
        category: "use-after-free",
        description: "a successful DELETE forgets nothing: the deleted resource is still served",
    },
    FaultInfo {
        name: "created-not-stored",
        parameter: "",
        category: "resource-unavailable",
        description: "a create answers with its new resource's id but never stores it",
    },
    FaultInfo {
        name: "undocumented-method-500",
        parameter: "",
        category: "method-not-allowed",
        description: "a method a path does not serve gets 500 instead of 405",
    },
    FaultInfo {
        name: "allow-one-route",
        parameter: "",
        category: "method-not-allowed",
        description: "a 405's Allow header lists the methods of the first operation's path, whatever the path",
    },
    FaultInfo {
        name: "accept-undeclared-content-type",
        parameter: "",
        category: "accepts-invalid",
        description: "a body declared with a media type the operation does not accept (text/plain for JSON) is read anyway, not refused with 415",
    },
    FaultInfo {
        name: "server-error-undeclared-content-type",
        parameter: "",
        category: "server-error",
        description: "500 for a body declared with a media type the operation does not accept",
    },
    FaultInfo {
        name: "write-only-returned",
        parameter: "",
        category: "response-schema",
        description: "success bodies return a writeOnly property (a password or secret the client sent)",
    },
    FaultInfo {
        name: "body-on-no-content",
        parameter: "",
        category: "response-schema",
        description: "each 204 is followed on the wire by a JSON body, which HTTP forbids (it poisons a kept-alive connection)",
    },
    FaultInfo {
        name: "unknown-id-status",
        parameter: "=STATUS",
        category: "rejects-valid",
        description: "an id the sandbox does not hold gets STATUS (default 409, \"already exists\"; 403 for a token it does not recognise) instead of the documented 404: conformant where the operation documents STATUS, a finding where it does not",
    },
    FaultInfo {
        name: "unique-create",
        parameter: "=STATUS",
        category: "rejects-valid",
        description: "a POST repeating a request already answered with success (same target and body) gets STATUS (default 409), as a server enforcing a unique field does: conformant where the create documents STATUS, a finding where it does not",
    },
    FaultInfo {
        name: "create-conflict",
        parameter: "=STATUS",
        category: "rejects-valid",
        description: "every valid POST gets STATUS (default 409): a create that never succeeds, a finding even where the create documents STATUS",
    },
];

impl Fault {
    /// Every fault, in the order `--list-faults` prints them.
    pub fn catalogue() -> &'static [FaultInfo] {
        CATALOGUE
    }

    /// The catalogue as printed by `--list-faults`: `name  category  description`, aligned.
    pub fn catalogue_text() -> String {
        let name_width = CATALOGUE.iter().map(|f| f.name.len()).max().unwrap_or(0);
        let category_width = CATALOGUE
            .iter()
            .map(|f| f.category.len())
            .max()
            .unwrap_or(0);
        CATALOGUE
            .iter()
            .map(|f| {
                format!(
                    "{:name_width$}  {:category_width$}  {}\n",
                    f.name,
                    f.category,
                    f.summary()
                )
            })
            .collect()
    }

    /// The bare name, as in the catalogue.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::AcceptMissingRequired => "accept-missing-required",
            Fault::AcceptWrongType => "accept-wrong-type",
            Fault::AcceptBadFormat => "accept-bad-format",
            Fault::AcceptLengthOffByOne => "accept-length-off-by-one",
            Fault::AcceptOutOfRange => "accept-out-of-range",
            Fault::AcceptPatternMiss => "accept-pattern-miss",
            Fault::AcceptUnknownField => "accept-unknown-field",
            Fault::AcceptTooManyItems => "accept-too-many-items",
            Fault::AcceptDuplicateItems => "accept-duplicate-items",
            Fault::AcceptOneOfTwo => "accept-one-of-two",
            Fault::RejectDateTimeForm => "reject-date-time-form",
            Fault::RejectEnumValue(_) => "reject-enum-value",
            Fault::ServerErrorLongString => "server-error-long-string",
            Fault::ResponseWrongType => "response-wrong-type",
            Fault::ResponseEnumOutside => "response-enum-outside",
            Fault::ResponseNull => "response-null",
            Fault::ResponseRenamedField => "response-renamed-field",
            Fault::WrongContentType => "wrong-content-type",
            Fault::InvalidJsonBody => "invalid-json-body",
            Fault::AuthNotEnforced => "auth-not-enforced",
            Fault::AuthWrongStatus => "auth-wrong-status",
            Fault::DriftNewField => "drift-new-field",
            Fault::DriftStatusValue => "drift-status-value",
            Fault::DriftDroppedField => "drift-dropped-field",
            Fault::SlowResponse(_) => "slow-response",
            Fault::OversizedBody => "oversized-body",
            Fault::RateLimit => "rate-limit",
            Fault::RedirectCrossOrigin(_) => "redirect-cross-origin",
            Fault::ServerErrorPathParam => "server-error-path-param",
            Fault::AcceptQueryOffByOne => "accept-query-off-by-one",
            Fault::ErrorBodyOffSchema => "error-body-off-schema",
            Fault::ErrorAsHtml => "error-as-html",
            Fault::AuthSkippedOn(_) => "auth-skipped-on",
            Fault::UndocumentedStatusOn(_) => "undocumented-status-on",
            Fault::CloseAfter5xx => "close-after-5xx",
            Fault::DeletedStillServed => "deleted-still-served",
            Fault::CreatedNotStored => "created-not-stored",
            Fault::UndocumentedMethod500 => "undocumented-method-500",
            Fault::AllowOneRoute => "allow-one-route",
            Fault::AcceptUndeclaredContentType => "accept-undeclared-content-type",
            Fault::ServerErrorUndeclaredContentType => "server-error-undeclared-content-type",
            Fault::WriteOnlyReturned => "write-only-returned",
            Fault::BodyOnNoContent => "body-on-no-content",
            Fault::UnknownIdStatus(_) => "unknown-id-status",
            Fault::UniqueCreate(_) => "unique-create",
            Fault::CreateConflict(_) => "create-conflict",
        }
    }

    fn without_parameter(name: &str) -> Option<Fault> {
        let fault = match name {
            "accept-missing-required" => Fault::AcceptMissingRequired,
            "accept-wrong-type" => Fault::AcceptWrongType,
            "accept-bad-format" => Fault::AcceptBadFormat,
            "accept-length-off-by-one" => Fault::AcceptLengthOffByOne,
            "accept-out-of-range" => Fault::AcceptOutOfRange,
            "accept-pattern-miss" => Fault::AcceptPatternMiss,
            "accept-unknown-field" => Fault::AcceptUnknownField,
            "accept-too-many-items" => Fault::AcceptTooManyItems,
            "accept-duplicate-items" => Fault::AcceptDuplicateItems,
            "accept-one-of-two" => Fault::AcceptOneOfTwo,
            "reject-date-time-form" => Fault::RejectDateTimeForm,
            "reject-enum-value" => Fault::RejectEnumValue(None),
            "server-error-long-string" => Fault::ServerErrorLongString,
            "response-wrong-type" => Fault::ResponseWrongType,
            "response-enum-outside" => Fault::ResponseEnumOutside,
            "response-null" => Fault::ResponseNull,
            "response-renamed-field" => Fault::ResponseRenamedField,
            "wrong-content-type" => Fault::WrongContentType,
            "invalid-json-body" => Fault::InvalidJsonBody,
            "auth-not-enforced" => Fault::AuthNotEnforced,
            "auth-wrong-status" => Fault::AuthWrongStatus,
            "drift-new-field" => Fault::DriftNewField,
            "drift-status-value" => Fault::DriftStatusValue,
            "drift-dropped-field" => Fault::DriftDroppedField,
            "slow-response" => Fault::SlowResponse(DEFAULT_SLOW_DELAY),
            "oversized-body" => Fault::OversizedBody,
            "rate-limit" => Fault::RateLimit,
            "redirect-cross-origin" => {
                Fault::RedirectCrossOrigin(DEFAULT_REDIRECT_LOCATION.to_owned())
            }
            "server-error-path-param" => Fault::ServerErrorPathParam,
            "accept-query-off-by-one" => Fault::AcceptQueryOffByOne,
            "error-body-off-schema" => Fault::ErrorBodyOffSchema,
            "error-as-html" => Fault::ErrorAsHtml,
            "undocumented-status-on" => Fault::UndocumentedStatusOn("DELETE".to_owned()),
            "auth-skipped-on" => Fault::AuthSkippedOn(String::new()),
            "close-after-5xx" => Fault::CloseAfter5xx,
            "deleted-still-served" => Fault::DeletedStillServed,
            "created-not-stored" => Fault::CreatedNotStored,
            "undocumented-method-500" => Fault::UndocumentedMethod500,
            "allow-one-route" => Fault::AllowOneRoute,
            "accept-undeclared-content-type" => Fault::AcceptUndeclaredContentType,
            "server-error-undeclared-content-type" => Fault::ServerErrorUndeclaredContentType,
            "write-only-returned" => Fault::WriteOnlyReturned,
            "body-on-no-content" => Fault::BodyOnNoContent,
            "unknown-id-status" => Fault::UnknownIdStatus(DEFAULT_UNKNOWN_ID_STATUS),
            "unique-create" => Fault::UniqueCreate(DEFAULT_CONFLICT_STATUS),
            "create-conflict" => Fault::CreateConflict(DEFAULT_CONFLICT_STATUS),
            _ => return None,
        };
        Some(fault)
    }

    fn with_parameter(name: &str, parameter: &str) -> Result<Fault, String> {
        match name {
            "reject-enum-value" => parse_enum_target(parameter).map(|t| Fault::RejectEnumValue(Some(t))),
            "slow-response" => parameter
                .parse::<u64>()
                .map(|ms| Fault::SlowResponse(Duration::from_millis(ms)))
                .map_err(|_| format!("`slow-response={parameter}`: the delay must be whole milliseconds, e.g. slow-response=2000")),
            "redirect-cross-origin" => match url::Url::parse(parameter) {
                Ok(url) if url.has_host() => Ok(Fault::RedirectCrossOrigin(parameter.to_owned())),
                _ => Err(format!("`redirect-cross-origin={parameter}`: give an absolute URL, e.g. redirect-cross-origin=http://127.0.0.1:9/v1")),
            },
            "auth-skipped-on" if !parameter.is_empty() => Ok(Fault::AuthSkippedOn(parameter.to_owned())),
            "undocumented-status-on" => match parameter.parse::<http::Method>() {
                Ok(_) if parameter.chars().all(|c| c.is_ascii_uppercase()) => {
                    Ok(Fault::UndocumentedStatusOn(parameter.to_owned()))
                }
                _ => Err(format!("`undocumented-status-on={parameter}`: give an upper-case HTTP method, e.g. undocumented-status-on=DELETE")),
            },
            "unknown-id-status" => match parameter.parse::<u16>() {
                Ok(status) if (400..500).contains(&status) => Ok(Fault::UnknownIdStatus(status)),
                _ => Err(format!("`unknown-id-status={parameter}`: give a client error status, e.g. unknown-id-status=403")),
            },
            "unique-create" | "create-conflict" => match parameter.parse::<u16>() {
                Ok(status) if (400..500).contains(&status) && name == "unique-create" => {
                    Ok(Fault::UniqueCreate(status))
                }
                Ok(status) if (400..500).contains(&status) => Ok(Fault::CreateConflict(status)),
                _ => Err(format!("`{name}={parameter}`: give a client error status, e.g. {name}=409")),
            },
            _ if Self::without_parameter(name).is_some() => {
                Err(format!("the fault `{name}` takes no parameter (`={parameter}`)"))
            }
            _ => Err(unknown(name)),
        }
    }
}

fn parse_enum_target(parameter: &str) -> Result<EnumValueTarget, String> {
    let bad = || {
        format!("`reject-enum-value={parameter}`: write POINTER:VALUE, e.g. reject-enum-value=/kind:Other")
    };
    let (pointer, value) = parameter.rsplit_once(':').ok_or_else(bad)?;
    if !pointer.starts_with('/') || value.is_empty() {
        return Err(bad());
    }
    Ok(EnumValueTarget {
        pointer: pointer.to_owned(),
        value: value.to_owned(),
    })
}

fn unknown(name: &str) -> String {
    let names: Vec<&str> = CATALOGUE.iter().map(|f| f.name).collect();
    format!(
        "unknown fault `{name}`; the faults are: {} (see `specgate sandbox --list-faults`)",
        names.join(", ")
    )
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once('=') {
            Some((name, parameter)) => Self::with_parameter(name, parameter),
            None => Self::without_parameter(text).ok_or_else(|| unknown(text)),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Fault::RejectEnumValue(Some(target)) => {
                write!(f, "={}:{}", target.pointer, target.value)
            }
            Fault::SlowResponse(delay) => write!(f, "={}", delay.as_millis()),
            Fault::RedirectCrossOrigin(location) => write!(f, "={location}"),
            Fault::AuthSkippedOn(name) if !name.is_empty() => write!(f, "={name}"),
            Fault::UndocumentedStatusOn(method) => write!(f, "={method}"),
            Fault::UnknownIdStatus(status)
            | Fault::UniqueCreate(status)
            | Fault::CreateConflict(status) => write!(f, "={status}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_fault_parses_by_its_name_and_prints_it_back() {
        for info in Fault::catalogue() {
            let fault: Fault = info.name.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(fault.name(), info.name);
        }
    }

    #[test]
    fn parameters_parse() {
        assert_eq!(
            "reject-enum-value=/kind:Other".parse(),
            Ok(Fault::RejectEnumValue(Some(EnumValueTarget {
                pointer: "/kind".into(),
                value: "Other".into()
            })))
        );
        assert_eq!(
            "slow-response=250".parse(),
            Ok(Fault::SlowResponse(Duration::from_millis(250)))
        );
        assert!("slow-response=soon".parse::<Fault>().is_err());
        assert!("reject-enum-value=kind".parse::<Fault>().is_err());
        assert!("rate-limit=3".parse::<Fault>().is_err());
        assert!("redirect-cross-origin=elsewhere".parse::<Fault>().is_err());
        assert_eq!(
            "unknown-id-status=403".parse(),
            Ok(Fault::UnknownIdStatus(403))
        );
        assert!("unknown-id-status=200".parse::<Fault>().is_err());
        assert_eq!("unique-create=422".parse(), Ok(Fault::UniqueCreate(422)));
        assert_eq!("create-conflict".parse(), Ok(Fault::CreateConflict(409)));
        assert!("create-conflict=500".parse::<Fault>().is_err());
    }

    #[test]
    fn an_unknown_name_is_answered_with_the_valid_names() {
        let message = "teapot".parse::<Fault>().unwrap_err();
        assert!(message.contains("`teapot`") && message.contains("accept-missing-required"));
    }
}
