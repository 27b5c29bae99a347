//! A copy-pasteable curl command for a sent request: the exact method, URL, headers and body
//! bytes, with the key read from the environment (`"$SPECGATE_API_KEY"`), never written out.

use super::SentRequest;

/// `curl` for `request`. A header whose value is the placeholder `${NAME}` becomes `"$NAME"`
/// so the shell supplies the key.
pub fn curl_command(request: &SentRequest) -> String {
    let mut parts = vec![
        "curl -sS -i".to_owned(),
        format!("-X {}", request.method),
        shell_quote(&request.url),
    ];
    for (name, value) in &request.headers {
        let header = match placeholder_variable(value) {
            Some(variable) => format!("-H \"{name}: ${variable}\""),
            None => format!("-H {}", shell_quote(&format!("{name}: {value}"))),
        };
        parts.push(header);
    }
    parts.push(format!("--data-binary {}", shell_quote(&request.body)));
    parts.join(" ")
}

/// `NAME` if `value` is exactly `${NAME}` with a plain variable name.
fn placeholder_variable(value: &str) -> Option<&str> {
    let name = value.strip_prefix("${")?.strip_suffix('}')?;
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain.then_some(name)
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
    fn control_characters_use_ansi_c_quoting() {
        assert_eq!(shell_quote("a\tb"), r"$'a\tb'");
    }
}
