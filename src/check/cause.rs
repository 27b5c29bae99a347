//! What a violation is about, as a type: the cause findings are grouped by. Its text
//! ([`fmt::Display`]) is part of every fingerprint (`check:case:cause`), so each variant
//! prints exactly what the free text it replaced printed; a change of wording here is a
//! change to every team's known-failures file.

use std::fmt;

/// Why a violation is what it is; two violations of one check and case with equal causes
/// are one finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cause {
    /// A status the case does not allow for the request: `400`.
    Status(u16),
    /// No usable response: the failure's kind (`timeout`, `connect`, …).
    Transport(&'static str),
    /// A transport failure of the undocumented-method probe: `timeout on an undocumented method`.
    TransportOnUndocumentedMethod(&'static str),
    /// A transport failure of the undeclared-type probe:
    /// `timeout on an undeclared Content-Type`.
    TransportOnUndeclaredType(&'static str),
    /// A status outside 100-599: `status 600 out of range`.
    StatusOutOfRange(u16),
    /// A body where HTTP allows none: `body on 204`.
    BodyOnNoContent(u16),
    /// A body declared JSON that does not parse.
    UnparsableJson,
    /// A body declared XML that is not well-formed.
    UnparsableXml,
    /// A success served as an undocumented media type: `success served as text/html`.
    SuccessServedAs(String),
    /// An answer whose status documents a JSON body served as another media type:
    /// `400 served as text/html`.
    ServedAs {
        /// The answer's status.
        status: u16,
        /// The media type it was served as.
        media: String,
    },
    /// A response body that breaks its schema's keyword at an instance pointer:
    /// `/statusDetail enum`.
    Schema {
        /// The instance pointer (`/` for the body itself).
        at: String,
        /// The last segment of the schema path: the keyword broken.
        keyword: String,
    },
    /// A value the response schema forbids outright (a `writeOnly` property sent back):
    /// `/password forbidden`.
    Forbidden {
        /// The instance pointer.
        at: String,
    },
    /// A declared response header missing or not matching its schema:
    /// `header X-Rate-Limit missing`.
    Header {
        /// The header's name, as declared.
        name: String,
        /// What is wrong with it.
        problem: HeaderProblem,
    },
    /// A status other than 405/404/501 to a method the path does not document:
    /// `200 to an undocumented method`.
    UndocumentedMethod(u16),
    /// A 405 without `Allow`.
    AllowMissing,
    /// A 405 whose `Allow` leaves out a documented method.
    AllowLeavesOut,
    /// A 405 whose `Allow` lists a method the path does not serve.
    AllowListsUndocumented,
    /// A status other than 415 or the documented invalid one to a body declared as another
    /// type: `200 to an undeclared Content-Type`.
    UndeclaredType(u16),
    /// A resource a producer made that the server cannot find:
    /// `404 for a resource of createOrder`.
    ResourceUnavailable {
        /// The status of the answer.
        status: u16,
        /// The producing operation.
        from: String,
    },
    /// A deleted resource still served: `200 after DELETE`.
    StillServed {
        /// The status of the answer.
        status: u16,
        /// The method that deleted it.
        method: String,
    },
}

/// What is wrong with a declared response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderProblem {
    /// A required header is absent.
    Missing,
    /// Its value does not match its schema.
    Value,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Status(status) => write!(f, "{status}"),
            Cause::Transport(kind) => f.write_str(kind),
            Cause::TransportOnUndocumentedMethod(kind) => {
                write!(f, "{kind} on an undocumented method")
            }
            Cause::TransportOnUndeclaredType(kind) => {
                write!(f, "{kind} on an undeclared Content-Type")
            }
            Cause::StatusOutOfRange(status) => write!(f, "status {status} out of range"),
            Cause::BodyOnNoContent(status) => write!(f, "body on {status}"),
            Cause::UnparsableJson => f.write_str("declared JSON does not parse"),
            Cause::UnparsableXml => f.write_str("declared XML does not parse"),
            Cause::SuccessServedAs(media) => write!(f, "success served as {media}"),
            Cause::ServedAs { status, media } => write!(f, "{status} served as {media}"),
            Cause::Schema { at, keyword } => write!(f, "{at} {keyword}"),
            Cause::Forbidden { at } => write!(f, "{at} forbidden"),
            Cause::Header { name, problem } => {
                let problem = match problem {
                    HeaderProblem::Missing => "missing",
                    HeaderProblem::Value => "value",
                };
                write!(f, "header {name} {problem}")
            }
            Cause::UndocumentedMethod(status) => write!(f, "{status} to an undocumented method"),
            Cause::AllowMissing => f.write_str("405 without Allow"),
            Cause::AllowLeavesOut => f.write_str("405 whose Allow leaves out documented methods"),
            Cause::AllowListsUndocumented => {
                f.write_str("405 whose Allow lists undocumented methods")
            }
            Cause::UndeclaredType(status) => write!(f, "{status} to an undeclared Content-Type"),
            Cause::ResourceUnavailable { status, from } => {
                write!(f, "{status} for a resource of {from}")
            }
            Cause::StillServed { status, method } => write!(f, "{status} after {method}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts are fingerprints: each variant prints what the free text it replaced did.
    #[test]
    fn each_cause_prints_its_fingerprint_text() {
        let cases = [
            (Cause::Status(400), "400"),
            (Cause::Transport("timeout"), "timeout"),
            (
                Cause::TransportOnUndocumentedMethod("connect"),
                "connect on an undocumented method",
            ),
            (
                Cause::TransportOnUndeclaredType("timeout"),
                "timeout on an undeclared Content-Type",
            ),
            (Cause::StatusOutOfRange(600), "status 600 out of range"),
            (Cause::BodyOnNoContent(204), "body on 204"),
            (Cause::UnparsableJson, "declared JSON does not parse"),
            (Cause::UnparsableXml, "declared XML does not parse"),
            (
                Cause::SuccessServedAs("text/html".into()),
                "success served as text/html",
            ),
            (
                Cause::ServedAs {
                    status: 400,
                    media: "text/html".into(),
                },
                "400 served as text/html",
            ),
            (
                Cause::Schema {
                    at: "/statusDetail".into(),
                    keyword: "enum".into(),
                },
                "/statusDetail enum",
            ),
            (
                Cause::Forbidden {
                    at: "/password".into(),
                },
                "/password forbidden",
            ),
            (
                Cause::Header {
                    name: "X-Rate".into(),
                    problem: HeaderProblem::Missing,
                },
                "header X-Rate missing",
            ),
            (
                Cause::Header {
                    name: "X-Rate".into(),
                    problem: HeaderProblem::Value,
                },
                "header X-Rate value",
            ),
            (
                Cause::UndocumentedMethod(200),
                "200 to an undocumented method",
            ),
            (Cause::AllowMissing, "405 without Allow"),
            (
                Cause::AllowLeavesOut,
                "405 whose Allow leaves out documented methods",
            ),
            (
                Cause::AllowListsUndocumented,
                "405 whose Allow lists undocumented methods",
            ),
            (
                Cause::UndeclaredType(200),
                "200 to an undeclared Content-Type",
            ),
            (
                Cause::ResourceUnavailable {
                    status: 404,
                    from: "createOrder".into(),
                },
                "404 for a resource of createOrder",
            ),
            (
                Cause::StillServed {
                    status: 200,
                    method: "DELETE".into(),
                },
                "200 after DELETE",
            ),
        ];
        for (cause, text) in cases {
            assert_eq!(cause.to_string(), text, "{cause:?}");
        }
    }
}
