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
        content_type: None,
        allow_empty: false,
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

/// A parameter serialised as `content_type` in `location`.
fn media_param(name: &str, location: Location, schema: Value, content_type: &str) -> Parameter {
    Parameter {
        content_type: Some(content_type.to_owned()),
        ..param(name, location, schema, Style::default_for(location), false)
    }
}

#[test]
fn a_json_parameter_is_its_json_text_encoded_as_its_location_encodes_a_string() {
    let object = json!({"type": "object", "properties": {"a": {"type": "integer"}, "s": {"type": "string"}}});
    let shape = shape(
        "/f/{p}",
        vec![
            media_param("p", Location::Path, object.clone(), "application/json"),
            media_param(
                "filter",
                Location::Query,
                object.clone(),
                "application/json",
            ),
            media_param(
                "X-Filter",
                Location::Header,
                object.clone(),
                "application/vnd.x+json",
            ),
            media_param("c", Location::Cookie, object.clone(), "application/json"),
            media_param(
                "note",
                Location::Query,
                json!({"type": "string"}),
                "text/plain",
            ),
        ],
    );
    let envelope = json!({
        "path": {"p": {"a": 1}},
        "query": {"filter": {"a": 1}, "note": "a b"},
        "header": {"X-Filter": {"a": 2, "s": "x y"}},
        "cookie": {"c": {"s": "v;w"}},
    });
    let sent = shape.encode(&envelope).unwrap();
    assert_eq!(
        sent.target,
        "/f/%7B%22a%22%3A1%7D?filter=%7B%22a%22%3A1%7D&note=a%20b"
    );
    assert_eq!(
        sent.headers,
        vec![
            ("x-filter".to_owned(), r#"{"a":2,"s":"x y"}"#.to_owned()),
            (
                "cookie".to_owned(),
                "c=%7B%22s%22%3A%22v%3Bw%22%7D".to_owned()
            ),
        ]
    );
    assert_eq!(shape.round_trip(&envelope), Some(envelope.clone()));
    // A JSON value of another type goes as its JSON text, and reads back as that value.
    let number = json!({"path": {"p": 5}, "query": {"filter": "5"}, "header": {}, "cookie": {}});
    assert_eq!(shape.round_trip(&number), Some(number.clone()));
    assert_eq!(shape.encode(&number).unwrap().target, "/f/5?filter=%225%22");
}

#[test]
fn text_that_is_not_json_is_sent_from_the_raw_member_and_read_as_unreadable() {
    let object = json!({"type": "object"});
    let shape = shape(
        "/f",
        vec![
            media_param(
                "filter",
                Location::Query,
                object.clone(),
                "application/json",
            ),
            media_param("X-Filter", Location::Header, object, "application/json"),
        ],
    );
    let envelope = json!({"query": {}, "raw": {"query": {"filter": "{"}}});
    let sent = shape.encode(&envelope).unwrap();
    assert_eq!(sent.target, "/f?filter=%7B");
    assert_eq!(shape.round_trip(&envelope), None);
    let read = shape
        .decode("/f", Some("filter=%7B"), &|_| None, &[])
        .unwrap()
        .unwrap_err();
    assert_eq!(read.pointer, "/query/filter");
    assert!(
        read.message
            .starts_with("the query parameter `filter` is not JSON"),
        "{}",
        read.message
    );
    let header = |name: &str| (name == "x-filter").then(|| "{\"a\":".to_owned());
    let read = shape.decode("/f", None, &header, &[]).unwrap().unwrap_err();
    assert_eq!(read.pointer, "/header/X-Filter");
    // Absent, it is absent, as any other parameter.
    assert_eq!(
        shape.decode("/f", None, &|_| None, &[]).unwrap().unwrap(),
        json!({"query": {}, "header": {}})
    );
}

#[test]
fn an_empty_value_is_valid_where_the_parameter_allows_one() {
    let year = |allow_empty| Parameter {
        allow_empty,
        ..param(
            "year",
            Location::Query,
            json!({"type": "integer", "minimum": 2000}),
            Style::Form,
            true,
        )
    };
    for allow_empty in [false, true] {
        let shape = shape("/h", vec![year(allow_empty)]);
        let envelope = json!({"query": {"year": ""}});
        assert_eq!(shape.encode(&envelope).unwrap().target, "/h?year=");
        assert_eq!(shape.round_trip(&envelope), Some(envelope.clone()));
        let schema = shape.envelope_schema(None, Ids::AsDocumented);
        let validator = jsonschema::validator_for(&schema).expect("compiles");
        assert_eq!(validator.is_valid(&envelope), allow_empty, "{schema}");
        assert!(validator.is_valid(&json!({"query": {"year": 2001}})));
        assert!(!validator.is_valid(&json!({"query": {"year": 1999}})));
    }
}
