use super::*;
use serde_json::json;

fn param(name: &str, location: Location, schema: Value, style: Style, explode: bool) -> Parameter {
    Parameter {
        name: name.to_owned(),
        location,
        required: true,
        schema,
        style,
        explode,
        ids: None,
    }
}

fn shape(path: &str, parameters: Vec<Parameter>) -> RequestShape {
    RequestShape::new(path, parameters, None).expect("shape")
}

#[test]
fn every_style_reads_back_what_it_wrote() {
    let array = json!({"type": "array", "items": {"type": "integer"}});
    let object = json!({"type": "object", "properties": {"r": {"type": "integer"}, "g": {"type": "string"}}});
    let cases = [
        (Location::Path, Style::Simple, false, json!("a b/c?d#e%f é")),
        (Location::Path, Style::Simple, false, json!([1, 2, 3])),
        (
            Location::Path,
            Style::Simple,
            true,
            json!({"r": 1, "g": "x,y"}),
        ),
        (Location::Path, Style::Label, false, json!([1, 2])),
        (Location::Path, Style::Label, true, json!([1, 2])),
        (Location::Path, Style::Matrix, false, json!([1, 2])),
        (
            Location::Path,
            Style::Matrix,
            true,
            json!({"r": 5, "g": "q"}),
        ),
        (Location::Query, Style::Form, true, json!([1, 2])),
        (Location::Query, Style::Form, false, json!([1, 2])),
        (
            Location::Query,
            Style::Form,
            true,
            json!({"r": 7, "g": "&="}),
        ),
        (Location::Query, Style::SpaceDelimited, false, json!([3, 4])),
        (Location::Query, Style::PipeDelimited, false, json!([3, 4])),
        (
            Location::Query,
            Style::DeepObject,
            true,
            json!({"r": 1, "g": "[x]"}),
        ),
        (Location::Query, Style::Form, true, json!("")),
        (Location::Header, Style::Simple, false, json!([1, 2])),
        (Location::Cookie, Style::Form, true, json!("v a;l")),
    ];
    for (location, style, explode, value) in cases {
        let schema = match &value {
            Value::Array(_) => array.clone(),
            Value::Object(_) => object.clone(),
            _ => json!({"type": "string"}),
        };
        let path = if location == Location::Path {
            "/things/{p}/x"
        } else {
            "/things"
        };
        let shape = shape(path, vec![param("p", location, schema, style, explode)]);
        let envelope = json!({ location.as_str(): {"p": value} });
        let back = shape.round_trip(&envelope);
        assert_eq!(
            back.as_ref(),
            Some(&envelope),
            "{location:?} {style:?} explode={explode}: {:?}",
            shape.encode(&envelope)
        );
    }
}

#[test]
fn a_number_sent_for_a_string_reads_back_as_a_string() {
    let shape = shape(
        "/o/{id}",
        vec![param(
            "id",
            Location::Path,
            json!({"type": "string"}),
            Style::Simple,
            false,
        )],
    );
    let back = shape.round_trip(&json!({"path": {"id": 5}})).expect("sent");
    assert_eq!(back, json!({"path": {"id": "5"}}));
    let integer = super::RequestShape::new(
        "/o/{id}",
        vec![param(
            "id",
            Location::Path,
            json!({"type": "integer"}),
            Style::Simple,
            false,
        )],
        None,
    )
    .unwrap();
    assert_eq!(
        integer.round_trip(&json!({"path": {"id": "abc"}})),
        Some(json!({"path": {"id": "abc"}}))
    );
    assert_eq!(
        integer.encode(&json!({"path": {"id": 12}})).unwrap().target,
        "/o/12"
    );
}

#[test]
fn dot_segments_empty_segments_and_broken_headers_cannot_be_sent() {
    let shape = shape(
        "/o/{id}",
        vec![
            param(
                "id",
                Location::Path,
                json!({"type": "string"}),
                Style::Simple,
                false,
            ),
            param(
                "X-Trace",
                Location::Header,
                json!({"type": "string"}),
                Style::Simple,
                false,
            ),
        ],
    );
    for id in ["", ".", ".."] {
        assert!(
            shape.encode(&json!({"path": {"id": id}})).is_err(),
            "{id:?}"
        );
    }
    assert!(shape
        .encode(&json!({"path": {"id": "a"}, "header": {"X-Trace": "a\nb"}}))
        .is_err());
    assert!(shape
        .encode(&json!({"path": {"id": "a"}, "header": {"X-Trace": "é"}}))
        .is_err());
    let sent = shape
        .encode(&json!({"path": {"id": "a/b"}, "header": {"X-Trace": "t-1"}}))
        .unwrap();
    assert_eq!(sent.target, "/o/a%2Fb");
    assert_eq!(sent.headers, vec![("x-trace".to_owned(), "t-1".to_owned())]);
}

#[test]
fn templates_must_match_their_path_parameters() {
    assert!(RequestShape::new("/o/{id}", vec![], None).is_err());
    let stray = param(
        "id",
        Location::Path,
        json!({"type": "string"}),
        Style::Simple,
        false,
    );
    assert!(RequestShape::new("/o", vec![stray], None).is_err());
    assert!(RequestShape::new("/o/{", vec![], None).is_err());
    let shape = shape(
        "/o/{id}/items",
        vec![param(
            "id",
            Location::Path,
            json!({"type": "string"}),
            Style::Simple,
            false,
        )],
    );
    assert!(shape.matches_path("/o/7/items"));
    assert!(!shape.matches_path("/o/7"));
    assert!(!shape.matches_path("/o//items"));
    assert!(!shape.matches_path("/o/7/8/items"));
}

#[test]
fn bodies_round_trip_in_every_media_type() {
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}});
    let body = json!({"n": 3, "s": "a b&c", "tags": ["x", "y"]});
    for media in [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let shape =
            RequestShape::new("/f", vec![], Some(BodyShape::new(media, true, &schema))).unwrap();
        let envelope = json!({"body": body});
        assert_eq!(
            shape.round_trip(&envelope),
            Some(envelope.clone()),
            "{media}"
        );
    }
}

#[test]
fn an_embedded_schema_keeps_its_references() {
    let body = json!({"$schema": "x", "$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}});
    let shape = RequestShape::new(
        "/f",
        vec![],
        Some(BodyShape::new("application/json", true, &body)),
    )
    .unwrap();
    let envelope = shape.envelope_schema(Some(&body), Ids::AsDocumented);
    assert_eq!(
        envelope["properties"]["body"]["$ref"],
        "#/properties/body/$defs/a"
    );
    let validator = jsonschema::validator_for(&envelope).expect("compiles");
    assert!(validator.is_valid(&json!({"body": "s"})));
    assert!(!validator.is_valid(&json!({"body": 1})));
    assert!(!validator.is_valid(&json!({})));
}
