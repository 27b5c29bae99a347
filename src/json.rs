//! JSON text parsed into a [`serde_json::Value`] whose top-level object is sized up front.
//!
//! With `preserve_order`, an object is an `IndexMap`, grown from empty as keys arrive: a
//! 25-property payload reallocates its entries and rebuilds its index four times. The sandbox
//! parses every request body and the run every response body it validates, and objects of
//! one operation have much the same size, so each call site keeps a hint, the largest
//! top-level object it has parsed (at most [`MAX_HINT`]), and the next map starts at that
//! capacity. The value and any error are exactly `serde_json::from_str`'s or `from_slice`'s:
//! the same deserializer reads the same text, and only the top-level map is built here.

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest capacity a hint asks for.
const MAX_HINT: usize = 64;

/// `serde_json::from_str(text)`, the top-level object sized by `hint`.
pub(crate) fn from_str(text: &str, hint: &AtomicUsize) -> serde_json::Result<Value> {
    if !opens_object(text.as_bytes()) {
        return serde_json::from_str(text);
    }
    sized(serde_json::Deserializer::from_str(text), hint)
}

/// `serde_json::from_slice(bytes)`, the top-level object sized by `hint`.
///
/// Bytes that are UTF-8 (one SIMD pass over the whole text) are read as `from_str` reads
/// them, which does not check each string's UTF-8 again; the value and any error are the
/// same, since only that check tells the two readers apart.
pub(crate) fn from_slice(bytes: &[u8], hint: &AtomicUsize) -> serde_json::Result<Value> {
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return from_str(text, hint);
    }
    if !opens_object(bytes) {
        return serde_json::from_slice(bytes);
    }
    sized(serde_json::Deserializer::from_slice(bytes), hint)
}

/// Whether the text's first byte after JSON whitespace opens an object.
fn opens_object(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{')
}

/// What `serde_json::from_*` does (`Value::deserialize`, then `end`), for text that opens
/// an object: `deserialize_map` reads it as `deserialize_any` does for a `{`.
fn sized<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
    hint: &AtomicUsize,
) -> serde_json::Result<Value> {
    let value = (&mut deserializer).deserialize_map(SizedObject { hint })?;
    deserializer.end()?;
    Ok(value)
}

/// The top-level object: entries as `serde_json`'s own visitor reads them (a repeated key
/// keeps its first place and its last value), into a map of the hinted capacity.
struct SizedObject<'h> {
    hint: &'h AtomicUsize,
}

impl<'de> Visitor<'de> for SizedObject<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let hinted = self.hint.load(Ordering::Relaxed);
        let mut map = Map::with_capacity(hinted);
        while let Some((key, value)) = entries.next_entry::<String, Value>()? {
            map.insert(key, value);
        }
        if map.len() > hinted && hinted < MAX_HINT {
            self.hint.store(map.len().min(MAX_HINT), Ordering::Relaxed);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same value, key order and error text as serde_json's own parse.
    #[test]
    fn parses_as_serde_json_does() {
        let hint = AtomicUsize::new(0);
        for text in [
            r#"{"b":1,"a":[1,{"y":2,"x":3}],"b":2,"c":{"k":null}}"#,
            " \n{\"a\":\"\\u00e9\", \"n\": -1.5e3}\t",
            "{}",
            "[1,2]",
            "\"text\"",
            "{\"a\":}",
            "{1:2}",
            "{\"a\":1} x",
            "{\"a\":1",
            "",
            "\u{a0}{}",
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\ud83d\ude00","b":"x"#,
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"é😀\\q\"}",
        ] {
            let ours = from_str(text, &hint).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{text:?}");
            let ours = from_slice(text.as_bytes(), &hint).map_err(|e| e.to_string());
            let theirs =
                serde_json::from_slice::<Value>(text.as_bytes()).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{text:?}");
            if let (Ok(Value::Object(ours)), Ok(Value::Object(theirs))) =
                (from_str(text, &hint), serde_json::from_str::<Value>(text))
            {
                assert!(ours.keys().eq(theirs.keys()), "{text:?}");
            }
        }
        assert_eq!(hint.load(Ordering::Relaxed), 3);
    }

    /// Bytes that are not UTF-8 fail where and as serde_json's own `from_slice` fails.
    #[test]
    fn bytes_that_are_not_utf8_fail_as_serde_json_says() {
        let hint = AtomicUsize::new(0);
        for bytes in [
            &b"{\"a\":\"\xff\"}"[..],
            b"{\"a\":1,\"\xc3\":2}",
            b"[\"\xe2\x82\"]",
            b"\xff",
        ] {
            let ours = from_slice(bytes, &hint).map_err(|e| e.to_string());
            let theirs = serde_json::from_slice::<Value>(bytes).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{bytes:?}");
        }
    }

    #[test]
    fn a_hint_is_capped() {
        let hint = AtomicUsize::new(0);
        let text = format!(
            "{{{}}}",
            (0..100)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(
            from_str(&text, &hint).ok(),
            serde_json::from_str(&text).ok()
        );
        assert_eq!(hint.load(Ordering::Relaxed), MAX_HINT);
    }
}
