//! A copy-pasteable curl command for a sent request: the exact method, URL, headers and body
//! bytes, with the key read from the environment (`"$SPECGATE_API_KEY"`), never written out.

use super::SentRequest;

/// `curl` for `request`. A header value holding the placeholder `${NAME}` (alone, as
/// `Bearer ${NAME}` or `name=${NAME}`) reads `"$NAME"` from the shell; `Basic ${NAME}` becomes
/// `-u "$NAME"`, so curl encodes `user:password` itself.
pub fn curl_command(request: &SentRequest) -> String {
    let mut parts = vec![
        "curl -sS -i".to_owned(),
        format!("-X {}", request.method),
        url_argument(&request.url),
    ];
    for (name, value) in &request.headers {
        parts.push(header_option(name, value));
    }
    // A request without a body (a GET, a DELETE) is sent without one.
    let has_content_type = request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !request.body.is_empty() || has_content_type {
        parts.push(format!("--data-binary {}", shell_quote(&request.body)));
    }
    parts.join(" ")
}

/// The URL, quoted; a key in its query string (`?api_key=${NAME}`) reads `$NAME` from the
/// shell.
fn url_argument(url: &str) -> String {
    let Some((before, variable, after)) = placeholder_in(url) else {
        return shell_quote(url);
    };
    let plain = |text: &str| {
        !text
            .chars()
            .any(|c| matches!(c, '"' | '\\' | '$' | '`') || c.is_control())
    };
    if plain(before) && plain(after) {
        return format!("\"{before}${{{variable}}}{after}\"");
    }
    shell_quote(url)
}

fn header_option(name: &str, value: &str) -> String {
    let Some((before, variable, after)) = placeholder_in(value) else {
        return format!("-H {}", shell_quote(&format!("{name}: {value}")));
    };
    if before == "Basic " && after.is_empty() && name.eq_ignore_ascii_case("authorization") {
        return format!("-u \"${variable}\"");
    }
    let plain = |text: &str| {
        !text
            .chars()
            .any(|c| matches!(c, '"' | '\\' | '$' | '`') || c.is_control())
    };
    if plain(name) && plain(before) && plain(after) {
        return format!("-H \"{name}: {before}${variable}{after}\"");
    }
    format!("-H {}", shell_quote(&format!("{name}: {value}")))
}

/// The text around the first `${NAME}` placeholder of `value`, and `NAME`.
fn placeholder_in(value: &str) -> Option<(&str, &str, &str)> {
    let start = value.find("${")?;
    let end = start + value[start..].find('}')?;
    let name = &value[start + 2..end];
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain.then(|| (&value[..start], name, &value[end + 1..]))
}

/// Quote for POSIX shells. Printable text goes in single quotes; text with control characters
/// uses `$'…'` so the exact bytes survive a copy and paste.
pub fn shell_quote(text: &str) -> String {
    if text.chars().any(|c| c.is_control()) {
        let mut quoted = String::from("$'");
        for c in text.chars() {
            match c {
                '\\' => quoted.push_str("\\\\"),
                '\'' => quoted.push_str("\\'"),
                '\n' => quoted.push_str("\\n"),
                '\t' => quoted.push_str("\\t"),
                '\r' => quoted.push_str("\\r"),
                c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
                c => quoted.push(c),
            }
        }
        quoted.push('\'');
        return quoted;
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_in_the_query_string_comes_from_the_environment() {
        let request = SentRequest {
            method: "GET".to_owned(),
            url: "http://127.0.0.1:9/v1/stock?sku=ABC-12&api_key=${STOCK_KEY}".to_owned(),
            headers: Vec::new(),
            body: String::new(),
        };
        assert_eq!(
            curl_command(&request),
            "curl -sS -i -X GET \"http://127.0.0.1:9/v1/stock?sku=ABC-12&api_key=${STOCK_KEY}\""
        );
    }

    use super::*;

    #[test]
    fn key_comes_from_the_environment_and_quotes_survive() {
        let request = SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/v1/x".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("api_key".into(), "${SPECGATE_API_KEY}".into()),
            ],
            body: r#"{"name":"O'Brien"}"#.into(),
        };
        let curl = curl_command(&request);
        assert!(
            curl.contains(r#"-H "api_key: $SPECGATE_API_KEY""#),
            "{curl}"
        );
        assert!(
            curl.ends_with(r#"--data-binary '{"name":"O'\''Brien"}'"#),
            "{curl}"
        );
    }

    #[test]
    fn bearer_basic_and_cookie_keys_come_from_the_environment() {
        let request = |value: &str| SentRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:1/v1/x".into(),
            headers: vec![("authorization".into(), value.into())],
            body: String::new(),
        };
        let bearer = curl_command(&request("Bearer ${TOKEN}"));
        assert!(
            bearer.contains(r#"-H "authorization: Bearer $TOKEN""#),
            "{bearer}"
        );
        let basic = curl_command(&request("Basic ${CREDENTIALS}"));
        assert!(basic.contains(r#"-u "$CREDENTIALS""#), "{basic}");
        let cookie = curl_command(&SentRequest {
            headers: vec![("cookie".into(), "session=${SID}".into())],
            ..request("")
        });
        assert!(cookie.contains(r#"-H "cookie: session=$SID""#), "{cookie}");
    }

    #[test]
    fn control_characters_use_ansi_c_quoting() {
        assert_eq!(shell_quote("a\tb"), r"$'a\tb'");
    }
}
