//! Multipart bodies (`multipart/form-data`): one part per field, named in its
//! `Content-Disposition`. A string goes as its text; an object or an array as a JSON part
//! (`Content-Type: application/json`, OpenAPI's default for them), any other value as its
//! JSON text. A received body is split by the boundary its own `Content-Type` names (a
//! client picks its own), and each part is read as the schema of its field says; a part
//! declared JSON that is not JSON is refused.

use super::types::{Types, Unsendable};
use serde_json::{Map, Value};

/// The media type of a JSON part.
const JSON_PART: &str = "application/json";

/// The bytes of `body`, an object of fields, with `boundary` between the parts.
pub(super) fn encode(body: &Value, boundary: &str) -> Result<Vec<u8>, Unsendable> {
    let map = body
        .as_object()
        .ok_or_else(|| Unsendable("a multipart body must be an object".to_owned()))?;
    let mut out = String::new();
    for (key, value) in map {
        if key.contains(['"', '\r', '\n']) {
            return Err(Unsendable(format!("the part name `{key}` cannot be sent")));
        }
        let (text, content_type) = match value {
            Value::String(text) => (text.clone(), None),
            Value::Object(_) | Value::Array(_) => (value.to_string(), Some(JSON_PART)),
            other => (other.to_string(), None),
        };
        if text.contains(boundary) {
            return Err(Unsendable("a part holds the boundary".to_owned()));
        }
        out.push_str(&format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{key}\"\r\n"
        ));
        if let Some(content_type) = content_type {
            out.push_str(&format!("content-type: {content_type}\r\n"));
        }
        out.push_str(&format!("\r\n{text}\r\n"));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    Ok(out.into_bytes())
}

/// The boundary `content_type` names (`multipart/form-data; boundary=…`).
pub(super) fn boundary(content_type: Option<&str>) -> Result<String, String> {
    let missing = || "a multipart body without a boundary in its Content-Type".to_owned();
    let parsed: mime::Mime = content_type
        .ok_or_else(missing)?
        .parse()
        .map_err(|_| missing())?;
    let boundary = parsed.get_param(mime::BOUNDARY).ok_or_else(missing)?;
    Ok(boundary.as_str().to_owned())
}

/// One part of a received body: its field's name, its declared type and its text.
struct Part<'a> {
    name: &'a str,
    content_type: Option<String>,
    text: &'a str,
}

/// A received multipart `text` split by `boundary`, each part read by `types_of` its name.
pub(super) fn decode(
    text: &str,
    boundary: &str,
    types_of: &dyn Fn(&str) -> Option<Types>,
) -> Result<Value, String> {
    let mut map = Map::new();
    for part in parts(text, boundary)? {
        let value = read_part(&part, types_of(part.name))?;
        map.insert(part.name.to_owned(), value);
    }
    Ok(Value::Object(map))
}

/// The parts between the delimiters (`--boundary` at a line's start), up to the close
/// (`--boundary--`).
fn parts<'a>(text: &'a str, boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delimiter = format!("--{boundary}");
    let first = text
        .strip_prefix(delimiter.as_str())
        .or_else(|| {
            text.find(&format!("\r\n{delimiter}"))
                .map(|at| &text[at + 2 + delimiter.len()..])
        })
        .ok_or_else(|| format!("the multipart body has no part delimited by `{delimiter}`"))?;
    let mut out = Vec::new();
    let mut rest = first;
    loop {
        if rest.starts_with("--") {
            return Ok(out);
        }
        let body = rest
            .strip_prefix("\r\n")
            .ok_or_else(|| "a multipart delimiter is not followed by a line break".to_owned())?;
        let end = body
            .find(&format!("\r\n{delimiter}"))
            .ok_or_else(|| format!("the multipart body does not end with `{delimiter}--`"))?;
        out.push(part(&body[..end])?);
        rest = &body[end + 2 + delimiter.len()..];
    }
}

fn part(raw: &str) -> Result<Part<'_>, String> {
    let (head, text) = raw
        .split_once("\r\n\r\n")
        .or_else(|| raw.strip_prefix("\r\n").map(|text| ("", text)))
        .ok_or_else(|| "a multipart part has no blank line after its headers".to_owned())?;
    let mut name = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        if header.trim().eq_ignore_ascii_case("content-disposition") {
            name = value
                .split("name=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next());
        } else if header.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_ascii_lowercase());
        }
    }
    let name = name.ok_or_else(|| "a multipart part has no name".to_owned())?;
    Ok(Part {
        name,
        content_type,
        text,
    })
}

/// A part's value: JSON when the part says so, else read as its field's types.
fn read_part(part: &Part<'_>, types: Option<Types>) -> Result<Value, String> {
    let json = part.content_type.as_deref().is_some_and(|t| {
        let essence = t.split(';').next().unwrap_or_default().trim();
        essence == JSON_PART || essence.ends_with("+json")
    });
    if json {
        return serde_json::from_str(part.text)
            .map_err(|e| format!("the part `{}` is declared JSON but is not: {e}", part.name));
    }
    let text = part.text;
    Ok(match types {
        Some(types) if types.has("string") || types.0.is_empty() => types.read(text),
        Some(types) => serde_json::from_str(text).unwrap_or_else(|_| types.read(text)),
        None => Value::String(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types(name: &str) -> Option<Types> {
        let kind = match name {
            "n" => "integer",
            "address" => "object",
            _ => "string",
        };
        Some(Types(vec![kind.to_owned()]))
    }

    #[test]
    fn a_nested_object_goes_as_a_json_part_and_reads_back() {
        let body = json!({"s": "a\r\nb", "n": 3, "address": {"line1": "x", "zip": 1}});
        let bytes = encode(&body, "b0und").unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains("name=\"address\"\r\ncontent-type: application/json\r\n\r\n{"),
            "{text}"
        );
        assert_eq!(decode(&text, "b0und", &types).unwrap(), body);
    }

    #[test]
    fn the_boundary_is_the_one_the_content_type_names() {
        let named = boundary(Some("multipart/form-data; boundary=\"other one\"")).unwrap();
        assert_eq!(named, "other one");
        assert!(boundary(Some("multipart/form-data")).is_err());
        assert!(boundary(None).is_err());
        let body = "--other one\r\ncontent-disposition: form-data; name=\"s\"\r\n\r\nhi\r\n--other one--\r\n";
        assert_eq!(decode(body, &named, &types).unwrap(), json!({"s": "hi"}));
        // Another boundary's delimiters are not parts.
        assert!(decode(body, "b0und", &types).is_err());
    }

    #[test]
    fn a_part_declared_json_that_is_not_json_is_refused() {
        let body = "--b\r\ncontent-disposition: form-data; name=\"address\"\r\ncontent-type: application/json\r\n\r\n{nope\r\n--b--\r\n";
        let error = decode(body, "b", &types).unwrap_err();
        assert!(error.contains("`address` is declared JSON"), "{error}");
    }
}
