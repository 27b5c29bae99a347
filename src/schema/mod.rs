//! The one schema reader: where subschemas live, JSON pointers, local references, the
//! keywords specgate knows, and a compiled validator for any subschema of a document.
//!
//! Every part of specgate that walks a JSON Schema document asks this module where the
//! subschemas of a keyword are ([`children`]), how a property name is written in a pointer
//! ([`escape`]) and where a `$ref` lands ([`Index::resolve`]), so a keyword learnt here is
//! learnt everywhere. The views `readOnly` and `writeOnly` make of a document (what a
//! request, a plan or a response reads) are [`view`]'s. Stages that write schemas (the wire's
//! envelope, an import's shared definitions) spell them here too: a keyword by
//! [`Keyword::name`] and [`Keyword::pointer`], a schema placed in a bigger document by
//! [`embed`], the dialect by [`DRAFT_2020_12`]; so no module outside names a keyword as a
//! string. It depends on nothing else in the crate.

mod dialect;
mod embed;
mod numeric;
mod query;
mod view;

pub use dialect::OpenApiKeyword;
pub use embed::embed;
pub use numeric::{options as validator_options, NumericFormat};
pub use query::{alternatives, declared_types, member_pointers, types_among, types_at, types_of};
pub use view::{view, View};

use jsonschema::{Draft, Registry, Resource, Validator};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use url::Url;

/// The base URI of a document that declares no `$id` of its own.
const DEFAULT_BASE: &str = "https://specgate.invalid/root.json";
/// Where a document is registered for compiling its subschemas.
const REGISTERED: &str = "urn:specgate:root";

/// The `$schema` of the documents specgate writes (a request's envelope, an import's shared
/// definitions): the dialect every stage reads.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Where a reference to one of its own document's `$defs` points: `#/$defs/` and the name.
const LOCAL_DEFINITION: &str = "#/$defs/";

/// The name `NAME` of a reference `#/$defs/NAME` to its own document's definitions, as
/// written (a name holding `/` or `~` stays escaped); `None` for any other reference.
pub fn local_definition(reference: &str) -> Option<&str> {
    reference.strip_prefix(LOCAL_DEFINITION)
}

/// Escape a property name for use in a JSON pointer (RFC 6901).
pub fn escape(name: &str) -> String {
    // Most names need neither: copying them once is a large document's walk's most common
    // step.
    if !name.contains(['~', '/']) {
        return name.to_owned();
    }
    name.replace('~', "~0").replace('/', "~1")
}

/// Undo [`escape`].
pub fn unescape(segment: &str) -> String {
    if !segment.contains('~') {
        return segment.to_owned();
    }
    segment.replace("~1", "/").replace("~0", "~")
}

/// Keywords whose value is one subschema.
const SINGLE: &[&str] = &[
    "items",
    "additionalProperties",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
];
/// Keywords whose value is an array of subschemas.
const LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value is an object of subschemas.
const MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Every keyword of the draft 2020-12 core, applicator, unevaluated, validation,
/// format-annotation, content and meta-data vocabularies (and two earlier spellings still
/// read by validators): a closed set, so each stage that handles keywords matches on it
/// exhaustively and a keyword added here does not compile until every stage decides on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Each variant is the keyword its name spells.
pub enum Keyword {
    Schema,
    Id,
    Ref,
    Anchor,
    DynamicRef,
    DynamicAnchor,
    Vocabulary,
    Comment,
    Defs,
    PrefixItems,
    Items,
    Contains,
    AdditionalProperties,
    Properties,
    PatternProperties,
    DependentSchemas,
    PropertyNames,
    If,
    Then,
    Else,
    AllOf,
    AnyOf,
    OneOf,
    Not,
    UnevaluatedItems,
    UnevaluatedProperties,
    Type,
    Const,
    Enum,
    MultipleOf,
    Maximum,
    ExclusiveMaximum,
    Minimum,
    ExclusiveMinimum,
    MaxLength,
    MinLength,
    Pattern,
    MaxItems,
    MinItems,
    UniqueItems,
    MaxContains,
    MinContains,
    MaxProperties,
    MinProperties,
    Required,
    DependentRequired,
    Format,
    ContentEncoding,
    ContentMediaType,
    ContentSchema,
    Title,
    Description,
    Default,
    Deprecated,
    ReadOnly,
    WriteOnly,
    Examples,
    Definitions,
    Dependencies,
}

/// Which kind of value a keyword constrains, or what else it does: the module of the
/// generator that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Identifiers, anchors, definitions, vocabularies.
    Core,
    /// `type`, `enum`, `const`.
    Value,
    /// String lengths and patterns.
    String,
    /// Numeric bounds and `multipleOf`.
    Number,
    /// Arrays.
    Array,
    /// Objects.
    Object,
    /// Subschemas combined: `$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`.
    Applicator,
    /// `format`.
    Format,
    /// Meta-data and content annotations, which constrain nothing.
    Annotation,
}

impl Keyword {
    /// Every keyword.
    pub const ALL: &'static [Keyword] = &[
        Keyword::Schema,
        Keyword::Id,
        Keyword::Ref,
        Keyword::Anchor,
        Keyword::DynamicRef,
        Keyword::DynamicAnchor,
        Keyword::Vocabulary,
        Keyword::Comment,
        Keyword::Defs,
        Keyword::PrefixItems,
        Keyword::Items,
        Keyword::Contains,
        Keyword::AdditionalProperties,
        Keyword::Properties,
        Keyword::PatternProperties,
        Keyword::DependentSchemas,
        Keyword::PropertyNames,
        Keyword::If,
        Keyword::Then,
        Keyword::Else,
        Keyword::AllOf,
        Keyword::AnyOf,
        Keyword::OneOf,
        Keyword::Not,
        Keyword::UnevaluatedItems,
        Keyword::UnevaluatedProperties,
        Keyword::Type,
        Keyword::Const,
        Keyword::Enum,
        Keyword::MultipleOf,
        Keyword::Maximum,
        Keyword::ExclusiveMaximum,
        Keyword::Minimum,
        Keyword::ExclusiveMinimum,
        Keyword::MaxLength,
        Keyword::MinLength,
        Keyword::Pattern,
        Keyword::MaxItems,
        Keyword::MinItems,
        Keyword::UniqueItems,
        Keyword::MaxContains,
        Keyword::MinContains,
        Keyword::MaxProperties,
        Keyword::MinProperties,
        Keyword::Required,
        Keyword::DependentRequired,
        Keyword::Format,
        Keyword::ContentEncoding,
        Keyword::ContentMediaType,
        Keyword::ContentSchema,
        Keyword::Title,
        Keyword::Description,
        Keyword::Default,
        Keyword::Deprecated,
        Keyword::ReadOnly,
        Keyword::WriteOnly,
        Keyword::Examples,
        Keyword::Definitions,
        Keyword::Dependencies,
    ];

    /// The keyword as a schema spells it.
    pub fn name(self) -> &'static str {
        match self {
            Keyword::Schema => "$schema",
            Keyword::Id => "$id",
            Keyword::Ref => "$ref",
            Keyword::Anchor => "$anchor",
            Keyword::DynamicRef => "$dynamicRef",
            Keyword::DynamicAnchor => "$dynamicAnchor",
            Keyword::Vocabulary => "$vocabulary",
            Keyword::Comment => "$comment",
            Keyword::Defs => "$defs",
            Keyword::PrefixItems => "prefixItems",
            Keyword::Items => "items",
            Keyword::Contains => "contains",
            Keyword::AdditionalProperties => "additionalProperties",
            Keyword::Properties => "properties",
            Keyword::PatternProperties => "patternProperties",
            Keyword::DependentSchemas => "dependentSchemas",
            Keyword::PropertyNames => "propertyNames",
            Keyword::If => "if",
            Keyword::Then => "then",
            Keyword::Else => "else",
            Keyword::AllOf => "allOf",
            Keyword::AnyOf => "anyOf",
            Keyword::OneOf => "oneOf",
            Keyword::Not => "not",
            Keyword::UnevaluatedItems => "unevaluatedItems",
            Keyword::UnevaluatedProperties => "unevaluatedProperties",
            Keyword::Type => "type",
            Keyword::Const => "const",
            Keyword::Enum => "enum",
            Keyword::MultipleOf => "multipleOf",
            Keyword::Maximum => "maximum",
            Keyword::ExclusiveMaximum => "exclusiveMaximum",
            Keyword::Minimum => "minimum",
            Keyword::ExclusiveMinimum => "exclusiveMinimum",
            Keyword::MaxLength => "maxLength",
            Keyword::MinLength => "minLength",
            Keyword::Pattern => "pattern",
            Keyword::MaxItems => "maxItems",
            Keyword::MinItems => "minItems",
            Keyword::UniqueItems => "uniqueItems",
            Keyword::MaxContains => "maxContains",
            Keyword::MinContains => "minContains",
            Keyword::MaxProperties => "maxProperties",
            Keyword::MinProperties => "minProperties",
            Keyword::Required => "required",
            Keyword::DependentRequired => "dependentRequired",
            Keyword::Format => "format",
            Keyword::ContentEncoding => "contentEncoding",
            Keyword::ContentMediaType => "contentMediaType",
            Keyword::ContentSchema => "contentSchema",
            Keyword::Title => "title",
            Keyword::Description => "description",
            Keyword::Default => "default",
            Keyword::Deprecated => "deprecated",
            Keyword::ReadOnly => "readOnly",
            Keyword::WriteOnly => "writeOnly",
            Keyword::Examples => "examples",
            Keyword::Definitions => "definitions",
            Keyword::Dependencies => "dependencies",
        }
    }

    /// The keyword's value in `schema`, when `schema` is an object that has it.
    pub fn value_in(self, schema: &Value) -> Option<&Value> {
        schema.get(self.name())
    }

    /// The pointer of this keyword's value in the schema at `at` (`{at}/items`), where a
    /// single-subschema keyword keeps its subschema.
    pub fn pointer(self, at: &str) -> String {
        format!("{at}/{}", self.name())
    }

    /// The pointer of the member `name` of this keyword's value in the schema at `at`
    /// (`{at}/properties/{name}`, the name escaped): where a map keyword keeps a subschema.
    pub fn member_pointer(self, at: &str, name: &str) -> String {
        format!("{at}/{}/{}", self.name(), escape(name))
    }

    /// The keyword spelt `name`, if it is one.
    pub fn parse(name: &str) -> Option<Keyword> {
        Keyword::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The family that owns the keyword.
    pub fn family(self) -> Family {
        match self {
            Keyword::Schema => Family::Core,
            Keyword::Id => Family::Core,
            Keyword::Ref => Family::Applicator,
            Keyword::Anchor => Family::Core,
            Keyword::DynamicRef => Family::Applicator,
            Keyword::DynamicAnchor => Family::Core,
            Keyword::Vocabulary => Family::Core,
            Keyword::Comment => Family::Annotation,
            Keyword::Defs => Family::Core,
            Keyword::PrefixItems => Family::Array,
            Keyword::Items => Family::Array,
            Keyword::Contains => Family::Array,
            Keyword::AdditionalProperties => Family::Object,
            Keyword::Properties => Family::Object,
            Keyword::PatternProperties => Family::Object,
            Keyword::DependentSchemas => Family::Applicator,
            Keyword::PropertyNames => Family::Object,
            Keyword::If => Family::Applicator,
            Keyword::Then => Family::Applicator,
            Keyword::Else => Family::Applicator,
            Keyword::AllOf => Family::Applicator,
            Keyword::AnyOf => Family::Applicator,
            Keyword::OneOf => Family::Applicator,
            Keyword::Not => Family::Applicator,
            Keyword::UnevaluatedItems => Family::Array,
            Keyword::UnevaluatedProperties => Family::Object,
            Keyword::Type => Family::Value,
            Keyword::Const => Family::Value,
            Keyword::Enum => Family::Value,
            Keyword::MultipleOf => Family::Number,
            Keyword::Maximum => Family::Number,
            Keyword::ExclusiveMaximum => Family::Number,
            Keyword::Minimum => Family::Number,
            Keyword::ExclusiveMinimum => Family::Number,
            Keyword::MaxLength => Family::String,
            Keyword::MinLength => Family::String,
            Keyword::Pattern => Family::String,
            Keyword::MaxItems => Family::Array,
            Keyword::MinItems => Family::Array,
            Keyword::UniqueItems => Family::Array,
            Keyword::MaxContains => Family::Array,
            Keyword::MinContains => Family::Array,
            Keyword::MaxProperties => Family::Object,
            Keyword::MinProperties => Family::Object,
            Keyword::Required => Family::Object,
            Keyword::DependentRequired => Family::Object,
            Keyword::Format => Family::Format,
            Keyword::ContentEncoding => Family::Annotation,
            Keyword::ContentMediaType => Family::Annotation,
            Keyword::ContentSchema => Family::Annotation,
            Keyword::Title => Family::Annotation,
            Keyword::Description => Family::Annotation,
            Keyword::Default => Family::Annotation,
            Keyword::Deprecated => Family::Annotation,
            Keyword::ReadOnly => Family::Annotation,
            Keyword::WriteOnly => Family::Annotation,
            Keyword::Examples => Family::Annotation,
            Keyword::Definitions => Family::Core,
            Keyword::Dependencies => Family::Object,
        }
    }
}

/// What a keyword's value holds, when it holds subschemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// One subschema (`items`, `not`, …).
    One,
    /// An array of subschemas (`allOf`, `prefixItems`, …).
    List,
    /// An object of named subschemas (`properties`, `$defs`, …).
    Map,
}

/// Whether the value of keyword `key` holds subschemas, and how.
pub fn holds(key: &str) -> Option<Holds> {
    if SINGLE.contains(&key) {
        Some(Holds::One)
    } else if LISTS.contains(&key) {
        Some(Holds::List)
    } else if MAPS.contains(&key) {
        Some(Holds::Map)
    } else {
        None
    }
}

/// The subschemas directly under `map`, each with the pointer segments that reach it
/// (already escaped), in document order.
pub fn children(map: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    // Keywords need no escaping: none holds `~` or `/`.
    for (key, value) in map {
        if SINGLE.contains(&key.as_str()) {
            out.push((key.clone(), value));
        } else if LISTS.contains(&key.as_str()) {
            if let Value::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    out.push((format!("{key}/{i}"), item));
                }
            }
        } else if MAPS.contains(&key.as_str()) {
            if let Value::Object(entries) = value {
                for (name, item) in entries {
                    out.push((format!("{key}/{}", escape(name)), item));
                }
            }
        }
    }
    out
}

/// Every keyword at any schema position that is not a [`Keyword`], as (pointer, keyword).
/// Such a keyword is ignored by generation and validation alike; callers report it.
pub fn unknown_keywords(document: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    visit(document, "", &mut |pointer, map| {
        for key in map.keys() {
            if Keyword::parse(key).is_none() {
                out.push((pointer.to_owned(), key.clone()));
            }
        }
    });
    out
}

/// Every known keyword at any schema position, as (pointer, keyword).
pub fn keywords(document: &Value) -> Vec<(String, Keyword)> {
    let mut out = Vec::new();
    visit(document, "", &mut |pointer, map| {
        out.extend(
            map.keys()
                .filter_map(|k| Keyword::parse(k))
                .map(|k| (pointer.to_owned(), k)),
        );
    });
    out
}

/// Call `f` on every schema object of `document` with its pointer, depth first.
pub fn visit(document: &Value, pointer: &str, f: &mut dyn FnMut(&str, &Map<String, Value>)) {
    let Value::Object(map) = document else {
        return;
    };
    f(pointer, map);
    for (segment, child) in children(map) {
        visit(child, &format!("{pointer}/{segment}"), f);
    }
}

/// Where the `$id`s and `$anchor`s of one document are, so local references resolve to
/// JSON pointers without a network.
#[derive(Debug, Clone)]
pub struct Index {
    /// Absolute URI (no fragment) of each embedded resource, and its pointer.
    resources: HashMap<String, String>,
    /// `uri#anchor` of each anchor, and its pointer.
    anchors: HashMap<String, String>,
    /// The base URI in force at each resource's pointer.
    bases: Vec<(String, Url)>,
}

impl Index {
    /// Index every `$id` and anchor of `document`.
    pub fn new(document: &Value) -> Index {
        let mut index = Index {
            resources: HashMap::new(),
            anchors: HashMap::new(),
            bases: Vec::new(),
        };
        let root = Url::parse(DEFAULT_BASE).expect("a valid URL");
        index.walk(document, String::new(), &root);
        index
    }

    fn walk(&mut self, node: &Value, pointer: String, base: &Url) {
        let Value::Object(map) = node else {
            return;
        };
        let mut base = base.clone();
        if let Some(Value::String(id)) = map.get("$id") {
            if let Ok(joined) = base.join(id) {
                base = without_fragment(joined);
                self.resources.insert(base.to_string(), pointer.clone());
                self.bases.push((pointer.clone(), base.clone()));
            }
        }
        if pointer.is_empty() && self.bases.is_empty() {
            self.resources.insert(base.to_string(), String::new());
            self.bases.push((String::new(), base.clone()));
        }
        for key in ["$anchor", "$dynamicAnchor"] {
            if let Some(Value::String(anchor)) = map.get(key) {
                self.anchors
                    .insert(format!("{base}#{anchor}"), pointer.clone());
            }
        }
        for (segment, child) in children(map) {
            self.walk(child, format!("{pointer}/{segment}"), &base);
        }
    }

    /// The base URI in force at `pointer`.
    fn base_at(&self, pointer: &str) -> Option<&Url> {
        self.bases
            .iter()
            .filter(|(at, _)| pointer == at || pointer.starts_with(&format!("{at}/")))
            .max_by_key(|(at, _)| at.len())
            .map(|(_, url)| url)
    }

    /// The JSON pointer a `$ref` written at `pointer` lands on, if it is in this document.
    pub fn resolve(&self, pointer: &str, target: &str) -> Option<String> {
        let base = self.base_at(pointer)?;
        let url = base.join(target).ok()?;
        let fragment = url.fragment().map(percent_decode).unwrap_or_default();
        let resource = self.resources.get(without_fragment(url.clone()).as_str())?;
        if fragment.is_empty() || fragment.starts_with('/') {
            return Some(format!("{resource}{fragment}"));
        }
        let key = format!("{}#{fragment}", without_fragment(url));
        self.anchors.get(&key).cloned()
    }
}

fn without_fragment(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// What a URI fragment may hold unescaped (RFC 3986 `pchar` and `/`).
const FRAGMENT_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, FRAGMENT_ESCAPED).to_string()
}

/// Compiled validators for the subschemas of one document, made on first use and kept; a
/// subschema whose validator depends only on its content and the `$defs` it reaches is
/// compiled once per process, whichever document asks ([`SHARED`]).
pub struct Subschemas {
    document: Arc<Value>,
    /// The document registered for compiling, made on the first subschema not compiled yet.
    registry: OnceLock<Option<Registry<'static>>>,
    cache: Mutex<HashMap<String, Option<Arc<Validator>>>>,
    /// What a validator of this document may be shared by, found on first use.
    sharing: OnceLock<Sharing>,
}

/// Validators of subschemas, by [`Sharing::key`]: the content of the subschema and of every
/// definition it reaches. A large document's schemas (an import's response schemas, each a
/// copy of the shared definitions it reaches) ask for the same definitions again and again,
/// and compiling one compiles all it reaches.
///
/// A validator holds the document it was compiled from (its registry), so the validators of
/// only the last [`SHARED_DOCUMENTS`] documents that compiled some are kept: consecutive
/// schemas of a large document (a resource read, updated, listed) share the most.
static SHARED: LazyLock<Mutex<Shared>> = LazyLock::new(|| Mutex::new(Shared::default()));

/// See [`SHARED`].
#[derive(Default)]
struct Shared {
    validators: HashMap<u128, Option<Arc<Validator>>>,
    /// The documents (by address) the kept validators were compiled from.
    documents: std::collections::HashSet<usize>,
}

/// How many documents' validators [`SHARED`] keeps at most. Stripe's import (452
/// operations): 16 halves the solver's compiling for a tenth more peak memory; keeping all
/// took 4.0 GB where each document alone took 2.4 GB, keeping 4 saved a quarter as much.
const SHARED_DOCUMENTS: usize = 16;

/// How the validators of one document's subschemas may be shared with other documents'.
struct Sharing {
    /// Whether any may be: the document has no `$id`, anchor or dynamic reference (which
    /// make what a reference lands on depend on more than the `$defs` it names).
    shareable: bool,
    /// The root's `$schema` (the dialect every subschema is compiled in), hashed.
    dialect: u128,
    /// Per definition already asked for: its content hashed and the definitions it names.
    definitions: Mutex<HashMap<String, Definition>>,
}

/// A definition's content hashed and the definitions it names; `None` when there is none.
type Definition = Option<(u128, Vec<String>)>;

/// Keywords that make a reference's target depend on more than a `$defs` name.
const UNSHARED: &[&str] = &[
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$dynamicRef",
    "$recursiveRef",
    "$recursiveAnchor",
    "$schema",
];

impl Sharing {
    fn of(document: &Value) -> Sharing {
        let mut shareable = true;
        if let Value::Object(root) = document {
            for (key, value) in root {
                if key != "$schema" {
                    shareable &= !holds_unshared(key, value);
                }
            }
        }
        let mut dialect = Fingerprint::new();
        let schema = document.get("$schema").unwrap_or(&Value::Null);
        dialect.feed(schema);
        Sharing {
            shareable,
            dialect: dialect.finish(),
            definitions: Mutex::new(HashMap::new()),
        }
    }

    /// The content of `subschema` of `document` and of each definition it reaches, hashed;
    /// `None` when its validator may depend on more (a reference other than `#/$defs/NAME`).
    fn key(&self, document: &Value, subschema: &Value) -> Option<u128> {
        if !self.shareable {
            return None;
        }
        let mut names = Vec::new();
        if !references(subschema, &mut names) {
            return None;
        }
        let mut definitions = self.definitions.lock().unwrap_or_else(|e| e.into_inner());
        let mut reached: std::collections::BTreeMap<String, Option<u128>> =
            std::collections::BTreeMap::new();
        while let Some(name) = names.pop() {
            if reached.contains_key(&name) {
                continue;
            }
            let info = match definitions.get(&name) {
                Some(info) => info.clone(),
                None => {
                    let info = Self::definition(document, &name)?;
                    definitions.insert(name.clone(), info.clone());
                    info
                }
            };
            match info {
                Some((hash, named)) => {
                    names.extend(named.into_iter().filter(|n| !reached.contains_key(n)));
                    reached.insert(name, Some(hash));
                }
                None => {
                    reached.insert(name, None);
                }
            }
        }
        let mut key = Fingerprint::new();
        key.write_u128(self.dialect);
        key.feed(subschema);
        for (name, hash) in reached {
            key.write_str_item(&name);
            key.write_u128(hash.unwrap_or(0));
        }
        Some(key.finish())
    }

    /// The definition `name` of `document` hashed, with the definitions it names; `Some(None)`
    /// when there is no such definition; `None` when it names anything else.
    fn definition(document: &Value, name: &str) -> Option<Definition> {
        let Some(definition) = document.get(Keyword::Defs.name()).and_then(|d| d.get(name)) else {
            return Some(None);
        };
        let mut named = Vec::new();
        if !references(definition, &mut named) {
            return None;
        }
        let mut hash = Fingerprint::new();
        hash.feed(definition);
        Some(Some((hash.finish(), named)))
    }
}

/// Whether `value` (any JSON, at `key`) holds a keyword of [`UNSHARED`] anywhere.
fn holds_unshared(key: &str, value: &Value) -> bool {
    if UNSHARED.contains(&key) {
        return true;
    }
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| holds_unshared(k, v)),
        Value::Array(items) => items.iter().any(|v| holds_unshared("", v)),
        _ => false,
    }
}

/// Push the definition names every `$ref` anywhere in `value` lands in (`#/$defs/NAME` and
/// below); `false` when one is any other reference, or a name that is escaped.
fn references(value: &Value, names: &mut Vec<String>) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(key, member)| {
            if key == Keyword::Ref.name() {
                let Some(name) = member.as_str().and_then(local_definition) else {
                    return false;
                };
                let name = name.split('/').next().unwrap_or_default();
                if name.is_empty() || name.contains(['~', '%']) {
                    return false;
                }
                names.push(name.to_owned());
                return true;
            }
            references(member, names)
        }),
        Value::Array(items) => items.iter().all(|item| references(item, names)),
        _ => true,
    }
}

/// A 128-bit hash of JSON values as written (two independent 64-bit hashes).
struct Fingerprint(
    foldhash::fast::FoldHasher<'static>,
    foldhash::fast::FoldHasher<'static>,
);

static SEEDS: [foldhash::fast::FixedState; 2] = [
    foldhash::fast::FixedState::with_seed(0x5eed_0001),
    foldhash::fast::FixedState::with_seed(0x5eed_0002),
];

impl Fingerprint {
    fn new() -> Fingerprint {
        use std::hash::BuildHasher;
        Fingerprint(SEEDS[0].build_hasher(), SEEDS[1].build_hasher())
    }

    fn write_u128(&mut self, n: u128) {
        use std::hash::Hasher;
        self.0.write_u128(n);
        self.1.write_u128(n);
    }

    fn write_str_item(&mut self, text: &str) {
        use std::hash::Hash;
        text.hash(&mut self.0);
        text.hash(&mut self.1);
    }

    fn write_tag(&mut self, tag: u8, length: usize) {
        use std::hash::Hasher;
        self.0.write_u8(tag);
        self.1.write_u8(tag);
        self.0.write_usize(length);
        self.1.write_usize(length);
    }

    fn feed(&mut self, value: &Value) {
        match value {
            Value::Null => self.write_tag(0, 0),
            Value::Bool(b) => self.write_tag(1, usize::from(*b)),
            Value::Number(n) => {
                self.write_tag(2, 0);
                self.write_str_item(&n.to_string());
            }
            Value::String(s) => {
                self.write_tag(3, 0);
                self.write_str_item(s);
            }
            Value::Array(items) => {
                self.write_tag(4, items.len());
                for item in items {
                    self.feed(item);
                }
            }
            Value::Object(members) => {
                self.write_tag(5, members.len());
                for (key, member) in members {
                    self.write_str_item(key);
                    self.feed(member);
                }
            }
        }
    }

    fn finish(&self) -> u128 {
        use std::hash::Hasher;
        (u128::from(self.0.finish()) << 64) | u128::from(self.1.finish())
    }
}

impl std::fmt::Debug for Subschemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subschemas").finish_non_exhaustive()
    }
}

impl Subschemas {
    /// Register `document`; nothing is compiled until a subschema is asked for.
    pub fn new(document: Arc<Value>) -> Subschemas {
        Subschemas {
            document,
            registry: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
            sharing: OnceLock::new(),
        }
    }

    fn registry(&self) -> Option<&Registry<'static>> {
        self.registry
            .get_or_init(|| {
                Registry::new()
                    .draft(Draft::Draft202012)
                    .add(
                        REGISTERED,
                        Resource::from_contents((*self.document).clone()),
                    )
                    .and_then(|builder| builder.prepare())
                    .ok()
            })
            .as_ref()
    }

    /// The whole document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The validator of the subschema at `pointer` (formats asserted, as the request schema
    /// is), or `None` when it does not compile on its own.
    pub fn validator(&self, pointer: &str) -> Option<Arc<Validator>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(pointer) {
            return found.clone();
        }
        // The whole document is this document's alone: its validator is not kept for others.
        let key = match (pointer, self.document.pointer(pointer)) {
            ("", _) | (_, None) => None,
            (_, Some(subschema)) => self
                .sharing
                .get_or_init(|| Sharing::of(&self.document))
                .key(&self.document, subschema),
        };
        let shared = key.and_then(|key| {
            let shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
            shared.validators.get(&key).cloned()
        });
        let compiled = match shared {
            Some(found) => found,
            None => {
                let compiled = self.compile(pointer).map(Arc::new);
                if let Some(key) = key {
                    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
                    let document = Arc::as_ptr(&self.document) as usize;
                    if shared.documents.insert(document)
                        && shared.documents.len() > SHARED_DOCUMENTS
                    {
                        shared.validators.clear();
                        shared.documents.clear();
                        shared.documents.insert(document);
                    }
                    shared
                        .validators
                        .entry(key)
                        .or_insert_with(|| compiled.clone());
                }
                compiled
            }
        };
        cache.insert(pointer.to_owned(), compiled.clone());
        compiled
    }

    fn compile(&self, pointer: &str) -> Option<Validator> {
        let registry = self.registry()?;
        let wrapper = serde_json::json!({
            "$ref": format!("{REGISTERED}#{}", percent_encode(pointer))
        });
        validator_options()
            .with_draft(Draft::Draft202012)
            .with_registry(registry)
            .build(&wrapper)
            .ok()
    }

    /// Whether `value` is valid against the subschema at `pointer`; `true` when that
    /// subschema cannot be compiled on its own (the whole document has the last word).
    pub fn admits(&self, pointer: &str, value: &Value) -> bool {
        self.validator(pointer).is_none_or(|v| v.is_valid(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_to_pointers_through_ids_and_anchors() {
        let document = json!({
            "$id": "https://example.com/root.json",
            "$defs": {
                "a": {"$anchor": "here", "type": "string"},
                "b": {"$id": "b.json", "$defs": {"c": {"type": "integer"}}}
            }
        });
        let index = Index::new(&document);
        assert_eq!(index.resolve("", "#/$defs/a").as_deref(), Some("/$defs/a"));
        assert_eq!(index.resolve("", "#here").as_deref(), Some("/$defs/a"));
        assert_eq!(
            index.resolve("", "b.json#/$defs/c").as_deref(),
            Some("/$defs/b/$defs/c")
        );
        assert_eq!(index.resolve("", "https://elsewhere.example/x"), None);
    }

    #[test]
    fn a_subschema_validates_on_its_own_with_its_references() {
        let document = Arc::new(json!({
            "properties": {"a b": {"$ref": "#/$defs/n"}},
            "$defs": {"n": {"type": "integer", "minimum": 3}}
        }));
        let subschemas = Subschemas::new(document);
        assert!(subschemas.admits("/properties/a b", &json!(4)));
        assert!(!subschemas.admits("/properties/a b", &json!(2)));
        assert!(!subschemas.admits("/properties/a b", &json!("x")));
    }

    #[test]
    fn equal_definitions_share_a_validator_across_documents_and_others_do_not() {
        let document = |minimum: i64, own: &str| {
            Arc::new(json!({
                "properties": {own: {"$ref": "#/$defs/a"}},
                "$defs": {
                    "a": {"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}},
                    "n": {"type": "integer", "minimum": minimum}
                }
            }))
        };
        let (one, two) = (
            Subschemas::new(document(3, "x")),
            Subschemas::new(document(3, "y")),
        );
        let other = Subschemas::new(document(5, "x"));
        let (a, b) = (one.validator("/$defs/a"), two.validator("/$defs/a"));
        assert!(Arc::ptr_eq(a.as_ref().unwrap(), b.as_ref().unwrap()));
        let (x, y) = (
            one.validator("/properties/x"),
            two.validator("/properties/y"),
        );
        assert!(Arc::ptr_eq(x.as_ref().unwrap(), y.as_ref().unwrap()));
        let c = other.validator("/$defs/a");
        assert!(!Arc::ptr_eq(a.as_ref().unwrap(), c.as_ref().unwrap()));
        assert!(one.admits("/$defs/a", &json!({"n": 4})));
        assert!(!other.admits("/$defs/a", &json!({"n": 4})));
        let anchored = Arc::new(json!({
            "properties": {"x": {"$ref": "#/$defs/a"}},
            "$defs": {"a": {"$anchor": "here", "type": "string"}}
        }));
        let anchored = Subschemas::new(anchored);
        assert!(anchored.admits("/properties/x", &json!("s")));
        assert!(!anchored.admits("/properties/x", &json!(1)));
    }

    #[test]
    fn a_keyword_names_where_its_value_and_members_sit() {
        assert_eq!(
            Keyword::Items.pointer("/properties/a"),
            "/properties/a/items"
        );
        assert_eq!(
            Keyword::Properties.member_pointer("", "a/b~c"),
            "/properties/a~1b~0c"
        );
        assert_eq!(local_definition("#/$defs/Pet"), Some("Pet"));
        assert_eq!(local_definition("other.json#/$defs/Pet"), None);
    }

    #[test]
    fn unknown_keywords_are_found_at_any_depth() {
        let document = json!({"properties": {"a": {"type": "string", "x-foo": 1}}});
        assert_eq!(
            unknown_keywords(&document),
            vec![("/properties/a".to_owned(), "x-foo".to_owned())]
        );
    }
}
