//! Bodies that are not JSON, part of the `content-type` check: a success must be served as
//! one of the media types its response documents (`text/plain`, `application/pdf`, `image/*`,
//! `*/*`), and a body served as XML where XML is documented must be well-formed. Other bodies
//! are bytes: nothing in them is a contract.

use super::{Cause, Check, ObservedResponse, Violation};
use crate::contract::ResponseSpec;

/// Check `response` against the media types `spec` documents.
pub(super) fn documented_media(
    spec: &ResponseSpec,
    response: &ObservedResponse,
    violations: &mut Vec<Violation>,
) {
    let success = (200..300).contains(&response.status);
    let received = response.media_type();
    if success && !response.body.is_empty() {
        let served = received.as_deref().is_some_and(|m| spec.serves(m));
        if !served {
            let shown = received.clone().unwrap_or_else(|| "(none)".to_owned());
            violations.push(Violation {
                check: Check::ContentType,
                cause: Cause::SuccessServedAs(shown.clone()),
                message: format!(
                    "the {} success body is declared `{shown}`, not one of the documented {}",
                    response.status,
                    spec.media.join(", ")
                ),
            });
            return;
        }
    }
    let xml = received.as_deref().is_some_and(ResponseSpec::is_xml);
    if xml && !response.body.is_empty() && spec.media.iter().any(|m| ResponseSpec::is_xml(m)) {
        if let Err(problem) = well_formed(&response.body) {
            violations.push(Violation {
                check: Check::ContentType,
                cause: Cause::UnparsableXml,
                message: format!(
                    "the {} body is declared `{}` but is not well-formed XML: {problem}",
                    response.status,
                    received.unwrap_or_default()
                ),
            });
        }
    }
}

/// Whether `body` is one well-formed XML document.
fn well_formed(body: &[u8]) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let (mut depth, mut roots) = (0usize, 0usize);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(quick_xml::events::Event::Start(_)) => {
                roots += usize::from(depth == 0);
                depth += 1;
            }
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Empty(_)) => roots += usize::from(depth == 0),
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("at byte {}: {e}", reader.buffer_position())),
        }
        buffer.clear();
    }
    match (depth, roots) {
        (0, 1) => Ok(()),
        (0, 0) => Err("no root element".to_owned()),
        (0, _) => Err("more than one root element".to_owned()),
        _ => Err("an element is not closed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_must_be_one_closed_document() {
        assert!(well_formed(b"<?xml version=\"1.0\"?><a><b/>text</a>").is_ok());
        assert!(well_formed(b"<a><b></a>").is_err());
        assert!(well_formed(b"<a>").is_err());
        assert!(well_formed(b"<a/><b/>").is_err());
        assert!(well_formed(b"plain text").is_err());
    }
}
