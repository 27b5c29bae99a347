//! Payload generation: from an [`Operation`]'s request schema to a plan of [`PlannedRequest`]s.
//!
//! Owns the deterministic coverage plan (every enum value, every required-field subset,
//! boundaries, mutations, auth cases), seeded random exploration with proptest, and the
//! shrinking of a failing random payload. It knows JSON Schema, never a particular operation's
//! fields, and knows nothing of HTTP clients or reports.

mod coverage;
mod explore;
mod judge;
mod solve;
mod tracker;

use crate::contract::{self, ContractError, Expect, Operation, Place};
use explore::{Candidate, CandidateTree, RandomPayloads};
use proptest::strategy::ValueTree;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// How a planned request uses the API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// The configured key, from the environment.
    Valid,
    /// No key header at all.
    Missing,
    /// A key that is certainly wrong.
    Wrong,
}

/// The value sent as the key for [`KeyUse::Wrong`]: obviously not a real key.
pub const WRONG_KEY: &str = "specgate-wrong-key";

/// The request body, exactly as it will be sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON document, sent serialised with the operation's content type.
    Json(Value),
    /// Bytes that are not (or not meant as) JSON: a non-JSON body, or `""` for an empty one.
    Raw(String),
    /// A JSON document already serialised: a random valid payload drawn straight into the
    /// bytes a run sends ([`Generator::random_to_send`]).
    Serialized(bytes::Bytes),
    /// For an operation generated as an envelope: `text` sent as the body (not JSON, or
    /// empty) with the parameters of `envelope`.
    RawWith {
        /// The parameters, as an envelope without `body`.
        envelope: Value,
        /// The body's text.
        text: String,
    },
}

impl Body {
    /// The bytes that go on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Body::Json(value) => {
                // Most payloads fit: serde_json's own start of 128 bytes grew three times.
                let mut bytes = Vec::with_capacity(1024);
                serde_json::to_writer(&mut bytes, value).map_or_else(|_| Vec::new(), |()| bytes)
            }
            Body::Raw(text) | Body::RawWith { text, .. } => text.as_bytes().to_vec(),
            Body::Serialized(bytes) => bytes.to_vec(),
        }
    }

    /// The bytes that go on the wire, without a copy when they are already serialised.
    pub fn wire(&self) -> bytes::Bytes {
        match self {
            Body::Serialized(bytes) => bytes.clone(),
            other => other.to_bytes().into(),
        }
    }
}

/// Why a request is in the plan: a stable family name plus what exactly it exercises.
/// Rendered as `family: detail`, e.g. `missing-required: city,state`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason {
    /// The stable family.
    pub family: Family,
    /// What exactly it exercises, e.g. `city,state`.
    pub detail: String,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.family.as_str())
        } else {
            write!(f, "{}: {}", self.family, self.detail)
        }
    }
}

/// The stable reason families. Reports, drift request classes and test names are built from
/// their names ([`Family::as_str`]), so a name never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    // Valid payloads (expect accept).
    /// A valid payload with the required fields only.
    RequiredOnly,
    /// A valid payload with every field.
    AllFields,
    /// A valid payload with one optional field on top of the required ones.
    OptionalField,
    /// A valid payload carrying one value of one enum.
    EnumValue,
    /// A valid payload at a boundary (a limit just inside, an edge string or number).
    Boundary,
    /// A random valid payload.
    RandomValid,
    // Invalid payloads (expect reject).
    /// A set of required fields left out.
    MissingRequired,
    /// A field with a JSON type its schema does not allow.
    WrongType,
    /// A field set to `null` where the schema does not allow it.
    NullValue,
    /// A value near an enum but outside it (wrong case, padded, empty).
    EnumOutside,
    /// A string that misses its `format` (a near miss of its grammar).
    BadFormat,
    /// A body that is not the documented JSON (an array, not JSON, empty).
    BadBody,
    /// A random valid payload with one mutation.
    RandomInvalid,
    /// A well-formed id the server does not know: valid, and its documented 404 conforms.
    UnknownId,
    /// A parameter value that tests its encoding in the URL: a space, `/`, `?`, `#`, `%`,
    /// non-ASCII text, an empty value (expect what the schema says of it).
    UrlEdge,
    /// A parameter serialised as JSON (OpenAPI's `content`) sent as text that is not JSON.
    NotJson,
    // One constraint broken just past its boundary, at any depth (expect reject).
    /// A value next to a `const`.
    ConstNeighbour,
    /// A string one code point shorter than `minLength`.
    MinLengthMinus,
    /// A string one code point longer than `maxLength`.
    MaxLengthPlus,
    /// A string that misses its `pattern`.
    PatternMiss,
    /// A number just below `minimum`.
    BelowMinimum,
    /// A number just above `maximum`.
    AboveMaximum,
    /// A number at (or just below) `exclusiveMinimum`.
    AtExclusiveMinimum,
    /// A number at (or just above) `exclusiveMaximum`.
    AtExclusiveMaximum,
    /// A number that is not a multiple of `multipleOf`.
    NotMultiple,
    /// An array one item shorter than `minItems`.
    MinItemsMinus,
    /// An array one item longer than `maxItems`.
    MaxItemsPlus,
    /// An array with a duplicate item under `uniqueItems`.
    DuplicateItem,
    /// An array with fewer matches of `contains` than `minContains`.
    ContainsTooFew,
    /// An array with more matches of `contains` than `maxContains`.
    ContainsTooMany,
    /// An array item past what `items: false` or `unevaluatedItems` allow.
    ExtraItem,
    /// A property that `additionalProperties` or `unevaluatedProperties` forbid.
    ExtraProperty,
    /// A property name that breaks `propertyNames`.
    PropertyName,
    /// An object one property short of `minProperties`.
    MinPropertiesMinus,
    /// An object one property past `maxProperties`.
    MaxPropertiesPlus,
    /// A `dependentRequired` trigger without its dependants.
    DependentRequired,
    /// A `dependentSchemas` trigger whose dependent schema fails.
    DependentSchema,
    /// A value that matches no `anyOf` branch.
    AnyOfNone,
    /// A value that matches no `oneOf` branch.
    OneOfNone,
    /// A value that matches two `oneOf` branches.
    OneOfTwo,
    /// A value that matches the schema under `not`.
    NotMatched,
    /// A value that meets `if` and breaks `then`.
    IfThen,
    /// A value that misses `if` and breaks `else`.
    IfElse,
    /// A value where the schema is `false`.
    FalseSchema,
    // Further valid values of the whole body, found by the solver (expect accept).
    /// A further valid value of the whole body, found by the solver.
    Alternative,
    // Hand-written examples from the case file (either outcome).
    /// A hand-written example from the case file.
    Example,
    // Key missing or wrong (expect unauthorized).
    /// The key left out.
    AuthMissing,
    /// A wrong key.
    AuthWrong,
    // Probes sent after the plan (expect reject).
    /// A method no route documents at a path.
    MethodNotAllowed,
    /// A body of a content type the operation does not declare.
    UndeclaredContentType,
    /// A request whose documented answer (204/205/304) or method (HEAD) forbids a body,
    /// read off the wire to see whether one comes anyway.
    BodyOnNoContent,
    // Sequences run after the plan.
    /// A resource's lifecycle: create, get, delete, get, delete (`resource-unavailable`,
    /// `use-after-free`).
    Lifecycle,
}

impl Family {
    /// Every family.
    pub const ALL: &'static [Family] = &[
        Family::RequiredOnly,
        Family::AllFields,
        Family::OptionalField,
        Family::EnumValue,
        Family::Boundary,
        Family::RandomValid,
        Family::MissingRequired,
        Family::WrongType,
        Family::NullValue,
        Family::EnumOutside,
        Family::BadFormat,
        Family::BadBody,
        Family::RandomInvalid,
        Family::UnknownId,
        Family::UrlEdge,
        Family::NotJson,
        Family::ConstNeighbour,
        Family::MinLengthMinus,
        Family::MaxLengthPlus,
        Family::PatternMiss,
        Family::BelowMinimum,
        Family::AboveMaximum,
        Family::AtExclusiveMinimum,
        Family::AtExclusiveMaximum,
        Family::NotMultiple,
        Family::MinItemsMinus,
        Family::MaxItemsPlus,
        Family::DuplicateItem,
        Family::ContainsTooFew,
        Family::ContainsTooMany,
        Family::ExtraItem,
        Family::ExtraProperty,
        Family::PropertyName,
        Family::MinPropertiesMinus,
        Family::MaxPropertiesPlus,
        Family::DependentRequired,
        Family::DependentSchema,
        Family::AnyOfNone,
        Family::OneOfNone,
        Family::OneOfTwo,
        Family::NotMatched,
        Family::IfThen,
        Family::IfElse,
        Family::FalseSchema,
        Family::Alternative,
        Family::Example,
        Family::AuthMissing,
        Family::AuthWrong,
        Family::MethodNotAllowed,
        Family::UndeclaredContentType,
        Family::BodyOnNoContent,
        Family::Lifecycle,
    ];

    /// The family named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Family> {
        Family::ALL.iter().copied().find(|f| f.as_str() == name)
    }

    /// The stable name, as reports, fingerprints and test names print it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::RequiredOnly => "required-only",
            Family::AllFields => "all-fields",
            Family::OptionalField => "optional-field",
            Family::EnumValue => "enum-value",
            Family::Boundary => "boundary",
            Family::RandomValid => "random-valid",
            Family::MissingRequired => "missing-required",
            Family::WrongType => "wrong-type",
            Family::NullValue => "null",
            Family::EnumOutside => "enum-outside",
            Family::BadFormat => "bad-format",
            Family::BadBody => "bad-body",
            Family::RandomInvalid => "random-invalid",
            Family::UnknownId => "unknown-id",
            Family::UrlEdge => "url-edge",
            Family::NotJson => "not-json",
            Family::ConstNeighbour => "const-neighbour",
            Family::MinLengthMinus => "min-length-1",
            Family::MaxLengthPlus => "max-length+1",
            Family::PatternMiss => "pattern-miss",
            Family::BelowMinimum => "below-minimum",
            Family::AboveMaximum => "above-maximum",
            Family::AtExclusiveMinimum => "at-exclusive-minimum",
            Family::AtExclusiveMaximum => "at-exclusive-maximum",
            Family::NotMultiple => "not-multiple",
            Family::MinItemsMinus => "min-items-1",
            Family::MaxItemsPlus => "max-items+1",
            Family::DuplicateItem => "duplicate-item",
            Family::ContainsTooFew => "contains-too-few",
            Family::ContainsTooMany => "max-contains+1",
            Family::ExtraItem => "extra-item",
            Family::ExtraProperty => "extra-property",
            Family::PropertyName => "bad-property-name",
            Family::MinPropertiesMinus => "min-properties-1",
            Family::MaxPropertiesPlus => "max-properties+1",
            Family::DependentRequired => "dependent-required",
            Family::DependentSchema => "dependent-schema",
            Family::AnyOfNone => "any-of-none",
            Family::OneOfNone => "one-of-none",
            Family::OneOfTwo => "one-of-two",
            Family::NotMatched => "not-matched",
            Family::IfThen => "if-then",
            Family::IfElse => "if-else",
            Family::FalseSchema => "false-schema",
            Family::Alternative => "alternative",
            Family::Example => "example",
            Family::AuthMissing => "auth-missing",
            Family::AuthWrong => "auth-wrong",
            Family::MethodNotAllowed => "method-not-allowed",
            Family::UndeclaredContentType => "undeclared-content-type",
            Family::BodyOnNoContent => "body-on-no-content",
            Family::Lifecycle => "lifecycle",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Ordered by name, as the families were ordered while they were strings (plans and reports
/// sort by reason, and must not change order).
impl Ord for Family {
    fn cmp(&self, other: &Family) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Family {
    fn partial_cmp(&self, other: &Family) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a planned request came from; random ones can be regenerated and shrunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The deterministic coverage plan.
    Coverage,
    /// A hand-written example of the case file.
    Example,
    /// Random exploration: the `index`-th payload of its class, regenerated from the seed.
    Random {
        /// Valid or invalid.
        class: RandomClass,
        /// Its position among the random payloads of its class.
        index: u64,
    },
}

/// The two classes of random payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RandomClass {
    /// Drawn valid.
    Valid,
    /// A valid draw with one mutation.
    Invalid,
}

/// One request of the plan: what to send and what the contract promises for it.
#[derive(Debug, Clone)]
pub struct PlannedRequest {
    /// The operation's name (`Operation::name`).
    pub case: Arc<str>,
    /// Stable for a given seed, e.g. `sessionlink-v2:enum-value:countryCode=AX`.
    pub id: String,
    /// What the contract says the server must do with it.
    pub expect: Expect,
    /// Why it is in the plan.
    pub reason: Reason,
    /// How the key is sent.
    pub key: KeyUse,
    /// The body.
    pub body: Body,
    /// Where it came from.
    pub origin: Origin,
}

impl PlannedRequest {
    /// The request as one line of `specgate plan`: case, id, expect, reason, the target for an
    /// operation with parameters, headers (the key as a placeholder, never a real key) and
    /// `body` or `raw_body`.
    pub fn to_plan_line<'a>(&'a self, operation: &Operation) -> PlanLine<'a> {
        let mut headers = serde_json::Map::new();
        let wire = operation.shape.as_ref().map(|shape| self.to_wire(shape));
        let (mut target, body, raw_body) = match &wire {
            None => {
                headers.insert(
                    "content-type".to_owned(),
                    Value::String(operation.content_type.clone()),
                );
                let (body, raw) = self.plain_body();
                (None, body, raw)
            }
            Some(Err(unsendable)) => (Some(unsendable.to_string()), None, None),
            Some(Ok(wire)) => {
                if let Some((_, content_type)) = &wire.body {
                    headers.insert(
                        "content-type".to_owned(),
                        Value::String(content_type.clone()),
                    );
                }
                for (name, value) in &wire.headers {
                    headers.insert(name.clone(), Value::String(value.clone()));
                }
                let body = match &self.body {
                    Body::Json(envelope)
                        if contract::wire::Media::of(&operation.content_type)
                            == contract::wire::Media::Json =>
                    {
                        envelope.get("body").map(Cow::Borrowed)
                    }
                    _ => None,
                };
                let raw = match (&body, &wire.body) {
                    (None, Some((bytes, _))) => {
                        Some(Cow::Owned(String::from_utf8_lossy(bytes).into_owned()))
                    }
                    _ => None,
                };
                (Some(wire.target.clone()), body, raw)
            }
        };
        // The constants, as the client adds them: after the generated query and headers.
        for constant in &operation.constants {
            if constant.location == contract::wire::Location::Header {
                let name = constant.name.to_ascii_lowercase();
                headers.insert(name, Value::String(constant.value.clone()));
                continue;
            }
            let path = target.clone().unwrap_or_else(|| operation.path.clone());
            let glue = if path.contains('?') { '&' } else { '?' };
            let pair = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&constant.name, &constant.value)
                .finish();
            target = Some(format!("{path}{glue}{pair}"));
        }
        for auth in operation.auth.sent() {
            let key = match self.key {
                KeyUse::Valid => Some(auth.scheme.shown_value(&key_placeholder(&auth.env))),
                KeyUse::Wrong => Some(auth.scheme.wire_value(WRONG_KEY)),
                KeyUse::Missing => None,
            };
            match (key, auth.scheme.query_name()) {
                (Some(key), Some(name)) => {
                    let path = target.clone().unwrap_or_else(|| operation.path.clone());
                    let glue = if path.contains('?') { '&' } else { '?' };
                    target = Some(format!("{path}{glue}{name}={key}"));
                }
                // Two cookies share the `Cookie` header, as the client sends them.
                (Some(key), None) => match headers.get_mut(auth.header.as_str()) {
                    Some(Value::String(earlier)) => {
                        earlier.push_str("; ");
                        earlier.push_str(&key);
                    }
                    _ => {
                        headers.insert(auth.header.as_str().to_owned(), Value::String(key));
                    }
                },
                (None, _) => {}
            }
        }
        PlanLine {
            case: &self.case,
            id: &self.id,
            expect: self.expect,
            reason: self.reason.to_string(),
            target,
            headers,
            body,
            raw_body,
        }
    }

    fn plain_body(&self) -> (Option<Cow<'_, Value>>, Option<Cow<'_, str>>) {
        match &self.body {
            Body::Json(value) => (Some(Cow::Borrowed(value)), None),
            Body::Raw(text) | Body::RawWith { text, .. } => {
                (None, Some(Cow::Borrowed(text.as_str())))
            }
            Body::Serialized(bytes) => match serde_json::from_slice(bytes) {
                Ok(value) => (Some(Cow::Owned(value)), None),
                Err(_) => (None, std::str::from_utf8(bytes).ok().map(Cow::Borrowed)),
            },
        }
    }

    /// The request on the wire, for an operation generated as an envelope.
    pub fn to_wire(
        &self,
        shape: &contract::wire::RequestShape,
    ) -> Result<contract::wire::WireRequest, contract::wire::Unsendable> {
        match &self.body {
            Body::Json(envelope) => shape.encode(envelope),
            Body::RawWith { envelope, text } => {
                let mut wire = shape.encode(envelope)?;
                let content_type = shape
                    .body()
                    .map_or_else(String::new, |b| b.content_type.clone());
                wire.body = Some((text.as_bytes().to_vec(), content_type));
                Ok(wire)
            }
            Body::Serialized(bytes) => {
                let envelope: Value = serde_json::from_slice(bytes)
                    .map_err(|e| contract::wire::Unsendable(e.to_string()))?;
                shape.encode(&envelope)
            }
            Body::Raw(_) => Err(contract::wire::Unsendable(
                "a bare body for an operation with parameters".to_owned(),
            )),
        }
    }
}

/// One planned request as `specgate plan` writes it (one JSON object per line).
#[derive(Debug, serde::Serialize)]
pub struct PlanLine<'a> {
    /// The case.
    pub case: &'a str,
    /// The plan id.
    pub id: &'a str,
    /// The expected outcome.
    pub expect: Expect,
    /// `family: detail`.
    pub reason: String,
    /// The path and query, relative to the base URL, for an operation with parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The headers, the key as its placeholder.
    pub headers: serde_json::Map<String, Value>,
    /// A JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Cow<'a, Value>>,
    /// A body that is not JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<Cow<'a, str>>,
}

/// Options that shape a plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// The seed of the random part.
    pub seed: u64,
    /// Random examples per case and class: N valid plus N invalid.
    pub examples: u64,
}

/// Placeholder a plan shows instead of the key: plans never hold a real key.
pub fn key_placeholder(env: &str) -> String {
    format!("${{{env}}}")
}

/// Everything needed to generate one operation's requests, compiled once per run.
/// `Send + Sync`: shared by every worker of a run.
pub struct Generator {
    operation: Arc<Operation>,
    case: Arc<str>,
    coverage: Vec<PlannedRequest>,
    contradictions: usize,
    random: RandomPayloads,
    warnings: Vec<String>,
    /// The payload coverage entries start from.
    base: Value,
    /// For an envelope: the checked rejects of the coverage plan, which random invalid
    /// requests fall back on where a bare body would fall back on one that is not JSON.
    reject_pool: Vec<Value>,
}

/// What a [`Generator`] is built on, each part of which may refuse the operation: the
/// outline of its planned schema, the solver and judge over it, the payload every coverage
/// entry starts from and the case's examples as whole requests.
struct Groundwork {
    root: solve::outline::Outline,
    solver: solve::Solver,
    judge: Arc<judge::Judge>,
    base: Value,
    examples: Vec<contract::Example>,
}

impl Groundwork {
    fn of(operation: &Operation) -> Result<Groundwork, ContractError> {
        let schema = &operation.request_schema;
        // Planned from the narrower document (known ids only), judged by the contract.
        let planned = operation.plan_schema();
        let root = solve::outline::Outline::of(planned).map_err(|e| {
            ContractError::new(
                &schema.path,
                Place::Pointer(e.pointer),
                e.problem,
                "a `$ref` must point inside this schema (e.g. \"#/$defs/Name\")",
            )
        })?;
        let subschemas = Arc::new(crate::schema::Subschemas::new(Arc::clone(planned)));
        let solver = solve::Solver::new(subschemas);
        let judge = Arc::new(judge::Judge {
            validator: schema.validator(),
            shape: operation.shape.clone(),
        });
        let base = base_payload(operation, &root, &solver, &judge)?;
        let examples = envelope_examples(operation, &base, &judge)?;
        Ok(Groundwork {
            root,
            solver,
            judge,
            base,
            examples,
        })
    }
}

impl Generator {
    /// What [`Generator::new`] would refuse of `operation`, found without building its plan:
    /// every refusal comes before it. An import asks this of each operation it writes, and
    /// building their plans was a seventh of Stripe's.
    pub fn check(operation: &Operation) -> Result<(), ContractError> {
        Groundwork::of(operation).map(drop)
    }

    /// Compile the operation's request schema into coverage rules and proptest strategies.
    ///
    /// Fails when no valid payload can be built from the schema (the error names the schema
    /// file and the JSON pointer of the keyword that refuses the simplest payload).
    pub fn new(operation: Arc<Operation>) -> Result<Generator, ContractError> {
        let Groundwork {
            root,
            solver,
            judge,
            base,
            examples,
        } = Groundwork::of(&operation)?;
        let schema = &operation.request_schema;
        let fields: Arc<[solve::outline::Field]> = root.fields().into();
        let mut required = root.required_names();
        if operation.shape.is_some() {
            // A part of the envelope left out cannot be sent; the body can be.
            required.retain(|name| name == "body");
        }
        let plan = coverage::Builder::new(
            &operation,
            &root,
            &fields,
            &required,
            base.clone(),
            &solver,
            &judge,
        )
        .with_examples(examples)
        .build();
        let checked = operation.shape.is_some() || !explore::drawn_exactly(&schema.document);
        let random = RandomPayloads::new(
            &root,
            Arc::clone(&fields),
            &required,
            plan.mutations,
            explore::Checks {
                validator: checked.then(|| Arc::clone(&judge)),
                pool: plan.valid_pool,
                schema: Arc::clone(&judge),
            },
            &|pointer| solver.valid(pointer, 0),
        );
        Ok(Generator {
            case: Arc::from(operation.name.as_str()),
            warnings: schema_warnings(&operation),
            operation,
            coverage: plan.requests,
            contradictions: plan.contradictions,
            random,
            base,
            reject_pool: plan.reject_pool,
        })
    }

    /// How many classes of random requests the plan interleaves: valid and invalid, or only
    /// valid when nothing can be broken.
    pub fn random_classes(&self) -> u64 {
        if self.refutable() {
            2
        } else {
            1
        }
    }

    /// Whether random invalid requests can be made: an operation with a body always can (a
    /// body that is not JSON), one without needs a parameter it can break.
    pub fn refutable(&self) -> bool {
        self.operation.shape.is_none() || self.text_refutes() || !self.reject_pool.is_empty()
    }

    /// Whether a body that is not JSON is an invalid request: only where the body is JSON
    /// (an `image/png` or `text/plain` body may be any text).
    fn text_refutes(&self) -> bool {
        self.operation.shape.as_ref().is_none_or(|s| {
            s.body().is_some_and(|b| {
                contract::wire::Media::of(&b.content_type) == contract::wire::Media::Json
            })
        })
    }

    /// Keywords of the request schema that no stage understands, one message each: the
    /// CLI prints them before anything is sent.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many random draws so far failed the schema and were drawn again (or replaced by
    /// a checked valid payload): zero for a schema whose draws are valid by construction.
    pub fn redraws(&self) -> u64 {
        self.random.redraws()
    }

    /// The operation this generator plans for.
    pub fn operation(&self) -> &Arc<Operation> {
        &self.operation
    }

    /// The deterministic coverage plan, including the case's examples and the auth requests.
    pub fn coverage(&self) -> Vec<PlannedRequest> {
        self.coverage.clone()
    }

    /// The coverage plan's first valid request with the valid key (a producer's request),
    /// without copying the plan: a run asks for it before each valid DELETE.
    pub fn first_valid(&self) -> Option<PlannedRequest> {
        self.coverage
            .iter()
            .find(|r| r.expect == Expect::Accept && r.key == KeyUse::Valid)
            .cloned()
    }

    /// How many entries the coverage plan has, without copying it.
    pub fn coverage_len(&self) -> usize {
        self.coverage.len()
    }

    /// Payloads the generator built as valid but the validator refused, and so dropped.
    /// Zero unless the schema uses keywords generation does not understand (or a bug).
    pub fn contradictions(&self) -> usize {
        self.contradictions
    }

    /// The `index`-th random request of `class` for `seed`: the same inputs always give the
    /// same request, without generating the ones before it.
    pub fn random(&self, seed: u64, class: RandomClass, index: u64) -> PlannedRequest {
        let mut rng = explore::rng_for(seed, &self.case, class, index);
        self.request(class, index, self.random.candidate(class, &mut rng))
    }

    /// The same request as [`Generator::random`], as a run sends it: a valid payload is
    /// drawn straight into its serialised bytes ([`Body::Serialized`]), skipping the JSON
    /// value that only a reader of the payload needs.
    pub fn random_to_send(&self, seed: u64, class: RandomClass, index: u64) -> PlannedRequest {
        if self.operation.shape.is_some() {
            // An envelope is encoded from its value (`PlannedRequest::to_wire`): bytes
            // would only be parsed back.
            return self.random(seed, class, index);
        }
        let mut rng = explore::rng_for(seed, &self.case, class, index);
        self.request(class, index, self.random.candidate_to_send(class, &mut rng))
    }

    /// A shrinker that starts from exactly `random(seed, class, index)`.
    pub fn shrinker(&self, seed: u64, class: RandomClass, index: u64) -> Shrinker {
        let mut rng = explore::rng_for(seed, &self.case, class, index);
        let tree = self.random.tree(class, &mut rng);
        // For an envelope, a body that is not JSON is sent with the base request's
        // parameters, and without a body it was replaced by a planned reject: the
        // original request stands for it (see `Generator::enveloped`).
        let template = match &self.operation.shape {
            None => self.request(class, index, Candidate::placeholder()),
            Some(_) => self.random(seed, class, index),
        };
        Shrinker {
            tree,
            template,
            enveloped: self.operation.shape.is_some(),
        }
    }

    /// Random requests of `class` as a proptest strategy, for proptest's own runner: its
    /// trees are the ones [`Generator::shrinker`] walks.
    pub fn strategy(
        &self,
        class: RandomClass,
    ) -> impl proptest::strategy::Strategy<Value = PlannedRequest> + '_ {
        use proptest::strategy::Strategy;
        let template = self.request(class, 0, Candidate::placeholder());
        explore::RandomStrategy {
            payloads: &self.random,
            class,
        }
        .prop_map(move |candidate| PlannedRequest {
            reason: candidate.reason,
            body: candidate.body,
            ..template.clone()
        })
    }

    fn request(&self, class: RandomClass, index: u64, candidate: Candidate) -> PlannedRequest {
        let candidate = self.enveloped(candidate, index);
        let (family, expect) = match class {
            RandomClass::Valid => (Family::RandomValid, Expect::Accept),
            RandomClass::Invalid => (Family::RandomInvalid, Expect::Reject),
        };
        PlannedRequest {
            case: Arc::clone(&self.case),
            id: random_id(&self.case, family, index),
            expect,
            reason: candidate.reason,
            key: KeyUse::Valid,
            body: candidate.body,
            origin: Origin::Random { class, index },
        }
    }
}

/// `{case}:{family}:{index}`, a random request's id, written without the formatting
/// machinery: `format!` with its three arguments was 1,200 instructions of each random
/// request a run sends (callgrind), more than the rest of the request's bookkeeping.
fn random_id(case: &str, family: Family, index: u64) -> String {
    let family = family.as_str();
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = index;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = std::str::from_utf8(&digits[start..]).unwrap_or_default();
    let mut id = String::with_capacity(case.len() + family.len() + digits.len() + 2);
    id.push_str(case);
    id.push(':');
    id.push_str(family);
    id.push(':');
    id.push_str(digits);
    id
}

impl Generator {
    /// A candidate fit for the operation's wire: for an envelope, a body that is not JSON is
    /// sent with the base request's parameters, or, without a body, replaced by a checked
    /// reject of the coverage plan.
    fn enveloped(&self, candidate: Candidate, index: u64) -> Candidate {
        let (Some(_), Body::Raw(text)) = (&self.operation.shape, &candidate.body) else {
            return candidate;
        };
        if self.text_refutes() {
            let mut envelope = self.base.clone();
            if let Some(map) = envelope.as_object_mut() {
                map.remove("body");
            }
            return Candidate {
                body: Body::RawWith {
                    envelope,
                    text: text.clone(),
                },
                reason: candidate.reason,
            };
        }
        match self
            .reject_pool
            .get(index as usize % self.reject_pool.len().max(1))
        {
            Some(reject) => Candidate {
                body: Body::Json(reject.clone()),
                reason: Reason {
                    family: Family::RandomInvalid,
                    detail: "a planned reject".to_owned(),
                },
            },
            None => candidate,
        }
    }
}

/// The case's examples as whole envelopes: the parts an example gives over the base request,
/// checked against the label the example carries.
fn envelope_examples(
    operation: &Operation,
    base: &Value,
    judge: &judge::Judge,
) -> Result<Vec<contract::Example>, ContractError> {
    if operation.shape.is_none() {
        return Ok(operation.examples.clone());
    }
    operation
        .examples
        .iter()
        .map(|example| {
            let mut whole = base.clone();
            if let (Some(map), Some(parts)) = (whole.as_object_mut(), example.body.as_object()) {
                for (key, value) in parts {
                    match (map.get_mut(key), value) {
                        (Some(Value::Object(have)), Value::Object(given)) if key != "body" => {
                            have.extend(given.clone());
                        }
                        _ => {
                            map.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
            let verdict = judge.verdict(&whole);
            let problem = match (example.expect, verdict) {
                (_, None) => Some("cannot be sent".to_owned()),
                (Expect::Accept, Some(false)) => {
                    Some("fails the request schema but expects `accept`".to_owned())
                }
                (Expect::Reject, Some(true)) => {
                    Some("passes the request schema but expects `reject`".to_owned())
                }
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(ContractError::new(
                    &operation.source,
                    Place::File,
                    format!(
                        "the example `{}` {problem} (as sent: {whole})",
                        example.name
                    ),
                    "fix the example's body or parameters, or its `expect`",
                ));
            }
            Ok(contract::Example {
                name: example.name.clone(),
                expect: example.expect,
                body: whole,
            })
        })
        .collect()
}

/// One message per keyword of the request schema that no stage of specgate understands (a
/// typo, a custom vocabulary): it is ignored by generation and validation alike, so the CLI
/// says so before anything is sent.
pub fn schema_warnings(operation: &Operation) -> Vec<String> {
    let schema = &operation.request_schema;
    let path = schema.path.display();
    let unknown = crate::schema::unknown_keywords(&schema.document)
        .into_iter()
        .map(|(pointer, keyword)| {
            format!("{path}: {pointer}: unknown keyword `{keyword}` is ignored by generation and validation")
        });
    let not_followed = crate::schema::keywords(&schema.document)
        .into_iter()
        .filter_map(|(pointer, keyword)| match solve::treatment(keyword) {
            solve::Treatment::NotFollowed(why) => Some(format!(
                "{path}: {pointer}: generation does not follow `{}`: {why}",
                keyword.name()
            )),
            _ => None,
        });
    unknown.chain(not_followed).collect()
}

/// A valid value of the schema `document` (formats asserted), found by the same solver that
/// builds plans; `None` when it finds none. For other readers of schemas, such as the
/// sandbox's responder, when their own simple walk builds an invalid value.
pub fn valid_value(document: &Arc<Value>) -> Option<Value> {
    let subschemas = Arc::new(crate::schema::Subschemas::new(Arc::clone(document)));
    let solver = solve::Solver::new(Arc::clone(&subschemas));
    let found = solver.first("", 0)?;
    subschemas.admits("", &found).then_some(found)
}

/// The shortest string matching the ECMA-262 `pattern` with a length (in code points) in
/// `min..=max`; `None` when the pattern is not one the solver reads or has no such match.
pub(crate) fn shortest_match(pattern: &str, min: usize, max: Option<usize>) -> Option<String> {
    solve::pattern::Pattern::parse(pattern)?
        .within(min, max, MAX_MATCH, 1)
        .into_iter()
        .next()
}

/// The longest match [`shortest_match`] proposes.
const MAX_MATCH: usize = 4096;

/// One-constraint breaks of the schema `document` around the valid value `around`: (kind,
/// value), each checked to fail the schema.
pub(crate) fn reject_variants(document: &Arc<Value>, around: &Value) -> Vec<(Family, Value)> {
    let subschemas = Arc::new(crate::schema::Subschemas::new(Arc::clone(document)));
    let solver = solve::Solver::new(Arc::clone(&subschemas));
    solver
        .variants("", around, "", 0)
        .into_iter()
        .filter(|v| v.side == solve::Side::Reject && !subschemas.admits("", &v.value))
        .map(|v| (v.kind, v.value))
        .collect()
}

/// Several valid values of the schema `document`, each checked: the solver's alternatives.
pub(crate) fn valid_values(document: &Arc<Value>) -> Vec<Value> {
    let subschemas = Arc::new(crate::schema::Subschemas::new(Arc::clone(document)));
    let solver = solve::Solver::new(Arc::clone(&subschemas));
    solver
        .valid("", 0)
        .into_iter()
        .filter(|v| subschemas.admits("", v))
        .collect()
}

/// The payload every coverage entry starts from: the required-only payload when it passes
/// the schema, else the first valid value the solver finds. When there is none, no valid
/// payload can be built: the error names the JSON pointer and keyword that refuse the
/// simplest candidate.
fn base_payload(
    operation: &Operation,
    root: &solve::outline::Outline,
    solver: &solve::Solver,
    judge: &judge::Judge,
) -> Result<Value, ContractError> {
    let schema = &operation.request_schema;
    let minimal = root.minimal();
    if judge.verdict(&minimal) == Some(true) {
        return Ok(minimal);
    }
    let found = if operation.shape.is_some() {
        solver
            .valid("", 0)
            .into_iter()
            .find(|v| judge.verdict(v) == Some(true))
    } else {
        solver
            .first("", 0)
            .filter(|v| judge.verdict(v) == Some(true))
    };
    if let Some(found) = found {
        return Ok(found);
    }
    let validator = schema.validator();
    let error = validator.iter_errors(&minimal).next();
    let (pointer, message) = match &error {
        Some(error) => (error.schema_path().to_string(), error.to_string()),
        None => (String::new(), "no candidate passes".to_owned()),
    };
    let keyword = pointer
        .rsplit('/')
        .next()
        .filter(|k| !k.is_empty())
        .unwrap_or("schema");
    Err(ContractError::new(
        &schema.path,
        Place::Pointer(pointer.clone()),
        format!("no valid request body can be built from this schema: keyword `{keyword}` refuses every candidate (the simplest, {minimal}, fails with: {message})"),
        "check that the keywords at that pointer can all be satisfied at once",
    ))
}

/// Walks a failing random request towards a minimal one (proptest's simplify/complicate).
pub struct Shrinker {
    tree: CandidateTree,
    /// The request's identity (case, id, expect, origin); body and reason come from the tree.
    template: PlannedRequest,
    /// The operation is generated as an envelope: a body that is not JSON is the template's.
    enveloped: bool,
}

impl Shrinker {
    /// The current candidate.
    pub fn current(&self) -> PlannedRequest {
        let candidate = self.tree.current();
        if self.enveloped && matches!(candidate.body, Body::Raw(_)) {
            return self.template.clone();
        }
        PlannedRequest {
            reason: candidate.reason,
            body: candidate.body,
            ..self.template.clone()
        }
    }
    /// The current candidate still fails: try a simpler one. `false` when none is left.
    pub fn simplify(&mut self) -> bool {
        self.tree.simplify()
    }
    /// The current candidate passed: step back towards the last failing one. `false` when
    /// there is nothing left to try.
    pub fn complicate(&mut self) -> bool {
        self.tree.complicate()
    }
}

/// One entry of the plan, not yet built: a coverage entry is ready, a random one is generated
/// by whoever takes it, so a run's workers generate in parallel and outside any lock.
pub enum PlanEntry {
    /// Built already (coverage and examples).
    Ready(PlannedRequest),
    /// To be drawn by whoever takes it.
    Random {
        /// The case's generator.
        generator: Arc<Generator>,
        /// The run's seed.
        seed: u64,
        /// Valid or invalid.
        class: RandomClass,
        /// Its position among the random payloads of its class.
        index: u64,
    },
}

impl PlanEntry {
    /// The reason family, known without building the request.
    pub fn family(&self) -> Family {
        match self {
            PlanEntry::Ready(request) => request.reason.family,
            PlanEntry::Random {
                class: RandomClass::Valid,
                ..
            } => Family::RandomValid,
            PlanEntry::Random {
                class: RandomClass::Invalid,
                ..
            } => Family::RandomInvalid,
        }
    }

    /// The request itself.
    pub fn build(self) -> PlannedRequest {
        self.build_with(Generator::random)
    }

    /// The request itself, as a run sends it (see [`Generator::random_to_send`]).
    pub fn build_to_send(self) -> PlannedRequest {
        self.build_with(Generator::random_to_send)
    }

    fn build_with(
        self,
        random: fn(&Generator, u64, RandomClass, u64) -> PlannedRequest,
    ) -> PlannedRequest {
        match self {
            PlanEntry::Ready(request) => request,
            PlanEntry::Random {
                generator,
                seed,
                class,
                index,
            } => random(&generator, seed, class, index),
        }
    }
}

/// The sessionlink-v2 case and its generator, for unit tests.
#[cfg(test)]
pub(crate) fn sessionlink_for_tests() -> (Arc<Operation>, Generator) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/cases/sessionlink-v2.toml");
    let operation = Arc::new(crate::contract::load_case(path.as_ref()).expect("case"));
    let generator = Generator::new(Arc::clone(&operation)).expect("generator");
    (operation, generator)
}

/// The whole plan, lazily, as [`PlanEntry`]s: every generator's coverage entries first, then
/// random entries (valid and invalid interleaved, `options.examples` of each per generator).
/// Nothing random is built until an entry is taken, so a million-request run holds no more
/// than one request per worker.
pub fn plan_entries(
    generators: Vec<Arc<Generator>>,
    options: PlanOptions,
) -> impl Iterator<Item = PlanEntry> + Send {
    let coverage = generators
        .clone()
        .into_iter()
        .flat_map(|g| g.coverage())
        .map(PlanEntry::Ready);
    let random = generators.into_iter().flat_map(move |generator| {
        let classes = generator.random_classes();
        (0..options.examples.saturating_mul(classes)).map(move |i| {
            let class = if i % classes == 0 {
                RandomClass::Valid
            } else {
                RandomClass::Invalid
            };
            PlanEntry::Random {
                generator: generator.clone(),
                seed: options.seed,
                class,
                index: i / classes,
            }
        })
    });
    coverage.chain(random)
}

/// The whole plan, built request by request (see [`plan_entries`]).
pub fn plan(
    generators: Vec<Arc<Generator>>,
    options: PlanOptions,
) -> impl Iterator<Item = PlannedRequest> + Send {
    plan_entries(generators, options).map(PlanEntry::build)
}

pub use crate::results::Coverage;
pub use tracker::CoverageTracker;

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn a_random_id_is_what_format_writes() {
        for index in [0, 7, 10, 99, 1_000, 123_456_789, u64::MAX] {
            for family in [Family::RandomValid, Family::RandomInvalid] {
                assert_eq!(
                    random_id("sessionlink-v2", family, index),
                    format!("sessionlink-v2:{family}:{index}")
                );
            }
        }
    }
}
