//! OpenAPI `links` between the operations of one import: which operation's success answer
//! feeds which path parameter, one step at a time.

use super::operation::CaseDraft;
use super::parameter::{DraftLink, OutgoingLink};
use crate::contract::wire;

/// Give each path parameter a link's values when another operation's 2xx response links to
/// it. Links are one step, as case files say: an operation whose parameters are linked
/// produces values for no other, and one that produces takes none. The first link that keeps
/// this wins; the rest (and links of an operation to itself) are left out, since no single
/// request of the producer could honour them.
pub(super) fn apply_links(drafts: &mut [CaseDraft]) {
    let outgoing: Vec<(String, OutgoingLink)> = drafts
        .iter()
        .flat_map(|d| d.links.iter().map(|l| (d.operation_id.clone(), l.clone())))
        .collect();
    for (source, link) in outgoing {
        if source == link.target
            || is_consumer(drafts, &source)
            || is_producer(drafts, &link.target)
        {
            continue;
        }
        let Some(target) = drafts.iter_mut().find(|d| d.operation_id == link.target) else {
            continue;
        };
        let parameter = target
            .parameters
            .iter_mut()
            .find(|p| p.location == wire::Location::Path && p.name == link.parameter);
        if let Some(parameter) = parameter.filter(|p| p.link.is_none()) {
            parameter.link = Some(DraftLink {
                operation_id: source,
                pointer: link.pointer,
                name: link.name,
            });
        }
    }
}

/// Whether `operation` takes linked values already.
fn is_consumer(drafts: &[CaseDraft], operation: &str) -> bool {
    drafts
        .iter()
        .filter(|d| d.operation_id == operation)
        .any(|d| d.parameters.iter().any(|p| p.link.is_some()))
}

/// Whether `operation` produces linked values for another already.
fn is_producer(drafts: &[CaseDraft], operation: &str) -> bool {
    drafts.iter().any(|d| {
        d.parameters
            .iter()
            .any(|p| p.link.as_ref().is_some_and(|l| l.operation_id == operation))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::parameter::DraftParameter;
    use crate::openapi::source::Location;
    use serde_json::Value;
    use std::path::PathBuf;

    fn draft(id: &str, links: &[(&str, &str)]) -> CaseDraft {
        let at = Location {
            file: PathBuf::from("api.yaml"),
            pointer: String::new(),
        };
        CaseDraft {
            name: id.to_owned(),
            operation_id: id.to_owned(),
            description: String::new(),
            method: "GET".to_owned(),
            path: "/x/{id}".to_owned(),
            auth: Vec::new(),
            parameters: vec![DraftParameter {
                name: "id".to_owned(),
                location: wire::Location::Path,
                required: true,
                schema: Value::Bool(true),
                style: None,
                explode: None,
                content_type: None,
                allow_empty: false,
                example: None,
                link: None,
                at: at.clone(),
            }],
            request: None,
            responses: Vec::new(),
            constants: Vec::new(),
            links: links
                .iter()
                .map(|(target, parameter)| OutgoingLink {
                    name: format!("to-{target}"),
                    target: (*target).to_owned(),
                    parameter: (*parameter).to_owned(),
                    pointer: "/id".to_owned(),
                })
                .collect(),
            expect: Default::default(),
            examples: Vec::new(),
            at,
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn links_are_one_step_and_never_loop() {
        let mut drafts = vec![
            draft("create", &[("get", "id"), ("create", "id")]),
            draft("get", &[("delete", "id"), ("create", "id")]),
            draft("delete", &[("missing", "id")]),
            draft("update", &[]),
            draft("list", &[("update", "id"), ("delete", "id")]),
        ];
        apply_links(&mut drafts);
        let source = |d: &CaseDraft| {
            d.parameters[0]
                .link
                .as_ref()
                .map(|l| l.operation_id.clone())
        };
        // create → get; `get` then produces for nothing and `create` takes nothing; a link to
        // itself or to an unknown operation is no source; the first link wins.
        let sources: Vec<Option<String>> = drafts.iter().map(source).collect();
        assert_eq!(
            sources,
            [
                None,
                Some("create".to_owned()),
                Some("list".to_owned()),
                Some("list".to_owned()),
                None
            ]
        );
    }
}
