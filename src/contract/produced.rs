//! Where a producer's answer names the ids it made, as a link's `pointer` says: a JSON
//! pointer into its success body (`/id`, a create's answer), its `Location` header
//! (`$response.header.Location`, a create that answers 201 with where the resource is), or
//! a field of every item of an array in its body (`/orders/*/id`, a list's answer; `/*/id`
//! for a body that is the array). It reads ids out of an answer; it does not send anything.

use serde_json::Value;

/// The pointer of a link whose ids are in the producer's `Location` header (OpenAPI's
/// runtime expression for it).
pub const LOCATION: &str = "$response.header.Location";

/// The place in a producer's answer that names the ids it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Produced<'a> {
    /// The value at this JSON pointer of the success body.
    Body(&'a str),
    /// The resource's URL in the `Location` header: its segment at the consumer's parameter.
    Location,
    /// The value at `field` of each item of the array at `array` (a list's answer).
    EachItem {
        /// A JSON pointer to the array (`""`: the body is the array).
        array: &'a str,
        /// A JSON pointer into each item, e.g. `/id`.
        field: &'a str,
    },
}

impl<'a> Produced<'a> {
    /// Read a link's pointer; `None` when it is none of the three forms.
    pub fn parse(pointer: &'a str) -> Option<Produced<'a>> {
        if pointer.eq_ignore_ascii_case(LOCATION) {
            return Some(Produced::Location);
        }
        if !pointer.starts_with('/') {
            return None;
        }
        let every = pointer.find("/*/");
        Some(
            every.map_or(Produced::Body(pointer), |at| Produced::EachItem {
                array: &pointer[..at],
                field: &pointer[at + 2..],
            }),
        )
    }

    /// Whether the producer lists resources it did not make for this request (a list): it
    /// cannot make a fresh one for a request that consumes it.
    pub fn lists(self) -> bool {
        matches!(self, Produced::EachItem { .. })
    }

    /// The ids an answer names here: `location` is its `Location` header, `body` its
    /// success body, and `consumer` the path template and the parameter the ids are for
    /// (where the id is in a `Location` URL). An empty list is a list with no items.
    pub fn ids(
        self,
        location: Option<&str>,
        body: &[u8],
        consumer: (&str, &str),
    ) -> Result<Vec<Value>, String> {
        match self {
            Produced::Location => {
                let location = location.ok_or("it has no `Location` header")?;
                let id = id_in_location(location, consumer.0, consumer.1).ok_or_else(|| {
                    format!(
                        "its `Location: {location}` does not end as `{}` does",
                        consumer.0
                    )
                })?;
                Ok(vec![Value::String(id)])
            }
            Produced::Body(pointer) => {
                let body = json(body)?;
                let id = body.pointer(pointer).filter(|v| !v.is_null());
                let id = id.ok_or_else(|| format!("its body has nothing at `{pointer}`"))?;
                Ok(vec![id.clone()])
            }
            Produced::EachItem { array, field } => {
                let body = json(body)?;
                let items = body.pointer(array).and_then(Value::as_array);
                let items = items.ok_or_else(|| format!("its body has no array at `{array}`"))?;
                Ok(items
                    .iter()
                    .filter_map(|item| item.pointer(field))
                    .filter(|id| !id.is_null())
                    .cloned()
                    .collect())
            }
        }
    }
}

fn json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("its body is not JSON: {e}"))
}

/// The segment of the `Location` URL (absolute, or relative to the request's) that stands
/// where `{parameter}` stands in `template`, matched from the end: `/v1/orders/ord_7` gives
/// `ord_7` for `/orders/{orderId}`. The URL has at least the template's segments, and every
/// literal one of them agrees.
pub fn id_in_location(location: &str, template: &str, parameter: &str) -> Option<String> {
    let base = url::Url::parse("http://location.invalid/").ok()?;
    let url = base.join(location).ok()?;
    let got: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let wanted: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let at = wanted
        .iter()
        .position(|s| *s == format!("{{{parameter}}}"))?;
    let after = wanted.len() - 1 - at;
    if got.len() < wanted.len() {
        return None;
    }
    let index = got.len() - after - 1;
    let agrees = wanted.iter().rev().zip(got.iter().rev()).all(|(w, g)| {
        w.starts_with('{') || percent_encoding::percent_decode_str(g).decode_utf8_lossy() == *w
    });
    let id = percent_encoding::percent_decode_str(got[index]).decode_utf8_lossy();
    (agrees && !id.is_empty()).then(|| id.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_names_a_body_field_the_location_header_or_each_listed_item() {
        assert_eq!(Produced::parse("/id"), Some(Produced::Body("/id")));
        assert_eq!(Produced::parse(LOCATION), Some(Produced::Location));
        assert_eq!(
            Produced::parse("/orders/*/id"),
            Some(Produced::EachItem {
                array: "/orders",
                field: "/id"
            })
        );
        assert_eq!(
            Produced::parse("/*/id"),
            Some(Produced::EachItem {
                array: "",
                field: "/id"
            })
        );
        assert_eq!(Produced::parse("id"), None);
    }

    #[test]
    fn the_id_in_a_location_is_the_segment_at_the_parameter() {
        let id = |location| id_in_location(location, "/orders/{orderId}", "orderId");
        assert_eq!(id("/v1/orders/ord_7").as_deref(), Some("ord_7"));
        assert_eq!(
            id("https://api.example.com/v1/orders/a%20b").as_deref(),
            Some("a b")
        );
        assert_eq!(id("orders/9").as_deref(), Some("9"));
        assert_eq!(id("/v1/users/9"), None, "the literal segment disagrees");
        assert_eq!(id("/"), None);
        assert_eq!(id("9"), None, "too short to be the resource's URL");
        let nested = id_in_location("/v1/orders/7/items/3", "/orders/{o}/items/{i}", "o");
        assert_eq!(nested.as_deref(), Some("7"));
    }

    #[test]
    fn listed_items_give_every_id_and_an_empty_list_gives_none() {
        let list = Produced::parse("/orders/*/id").unwrap();
        let body = br#"{"orders": [{"id": "a"}, {"id": 2}, {"name": "x"}]}"#;
        let ids = list.ids(None, body, ("/orders/{id}", "id")).unwrap();
        assert_eq!(ids, [Value::from("a"), Value::from(2)]);
        let empty = list.ids(None, br#"{"orders": []}"#, ("/orders/{id}", "id"));
        assert_eq!(empty.unwrap(), Vec::<Value>::new());
        assert!(list.ids(None, b"{}", ("/orders/{id}", "id")).is_err());
    }
}
