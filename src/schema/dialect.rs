//! The keywords OpenAPI adds to its schema dialect (3.0's Schema Object; Swagger 2.0 spells
//! some with an `x-` prefix), which `openapi` translates into draft 2020-12 or leaves out.
//! Named here, beside [`super::Keyword`], so no other module spells a schema keyword.

/// A keyword of OpenAPI's schema dialect that draft 2020-12 does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpenApiKeyword {
    /// 3.0's `nullable: true`: `null` is valid too.
    Nullable,
    /// Which `oneOf`/`anyOf` branch (or inheritor) a property's value selects.
    Discriminator,
    /// 3.0's single `example` (2020-12 has `examples`).
    Example,
    /// How a value is written as XML: no effect on what is valid.
    Xml,
    /// A link to further documentation: no effect on what is valid.
    ExternalDocs,
}

impl OpenApiKeyword {
    /// The keyword as a schema spells it.
    pub fn name(self) -> &'static str {
        match self {
            OpenApiKeyword::Nullable => "nullable",
            OpenApiKeyword::Discriminator => "discriminator",
            OpenApiKeyword::Example => "example",
            OpenApiKeyword::Xml => "xml",
            OpenApiKeyword::ExternalDocs => "externalDocs",
        }
    }
}
