//! The `format` vocabulary of draft 2020-12: for each format, valid values spread over what
//! its grammar allows (the first is the plainest), and near misses a correct server refuses.
//!
//! A server that mishandles one legal form (a lower-case `t`, a `+05:30` offset, fractional
//! seconds, a compressed IPv6 address) is caught as `rejects-valid` by the form's boundary.

/// Valid values of `format`, the plainest first; empty for an unknown format.
pub(crate) fn valid(format: &str) -> &'static [&'static str] {
    match format {
        "date-time" => &[
            "2023-11-07T05:31:56Z",
            "2023-11-07t05:31:56z",
            "2023-11-07T05:31:56.123456Z",
            "2023-11-07T05:31:56+05:30",
            "2023-11-07T05:31:56-08:00",
            "2023-11-07T05:31:56.5+00:00",
            "2016-12-31T23:59:60Z",
            "1900-02-28T00:00:00Z",
        ],
        "date" => &["2023-11-07", "2024-02-29", "1900-01-01", "2099-12-31"],
        "time" => &[
            "05:31:56Z",
            "05:31:56.123Z",
            "05:31:56+05:30",
            "23:59:59-08:00",
            "05:31:56z",
        ],
        "duration" => &["P1D", "PT1H", "P1Y2M3DT4H5M6S", "P4W", "PT0.5S"],
        "email" => &[
            "user@example.com",
            "first.last+tag@sub.example.org",
            "\"quoted local\"@example.com",
            "user@[192.0.2.1]",
            "x@example.co",
        ],
        "idn-email" => &["user@example.com", "用户@例子.广告", "θσερ@εχαμπλε.ψομ"],
        "hostname" => &[
            "example.com",
            "a",
            "xn--bcher-kva.example",
            "a-b.c-d.example",
        ],
        "idn-hostname" => &["example.com", "bücher.example", "例子.测试"],
        "ipv4" => &["192.0.2.1", "0.0.0.0", "255.255.255.255", "10.1.2.3"],
        "ipv6" => &[
            "2001:db8::1",
            "::",
            "::1",
            "2001:0db8:0000:0000:0000:ff00:0042:8329",
            "::ffff:192.0.2.1",
            "fe80::1:2:3:4",
        ],
        "uri" => &[
            "https://example.com/",
            "urn:isbn:0451450523",
            "mailto:user@example.com",
            "http://user@example.com:8080/a/b?q=1#frag",
            "ftp://[2001:db8::1]/file",
        ],
        "uri-reference" => &[
            "https://example.com/",
            "/relative/path",
            "#frag",
            "?q=1",
            "",
        ],
        "iri" => &["https://example.com/", "https://例子.测试/路径"],
        "iri-reference" => &["https://example.com/", "/über", "#frag"],
        "uuid" => &[
            "00000000-0000-4000-8000-000000000000",
            "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6",
            "123e4567-e89b-12d3-a456-426614174000",
        ],
        "uri-template" => &["https://example.com/{id}", "/users{?q,lang}", "plain"],
        "json-pointer" => &["/a/b", "", "/a~1b/c~0d", "/0"],
        "relative-json-pointer" => &["0", "1/a/b", "2#", "0/"],
        "regex" => &["^[a-z]+$", "a|b", "(x)*"],
        _ => &[],
    }
}

/// Values that are almost `format` but not quite; empty for an unknown format.
pub(crate) fn near_misses(format: &str) -> &'static [&'static str] {
    match format {
        "date-time" => &[
            "2023-13-45T99:00:00Z",
            "2023-11-07",
            "05:31:56Z",
            "2023-11-07T05:31:56",
            "2023-11-07 05:31:56Z",
            "2023-02-30T05:31:56Z",
        ],
        "date" => &[
            "2023-13-45",
            "2023-11-07T05:31:56Z",
            "2023-02-30",
            "2023-1-7",
        ],
        "time" => &["99:61:00Z", "2023-11-07", "05:31:56", "5:31:56Z"],
        "duration" => &["P", "1D", "PT", "P1H"],
        "email" | "idn-email" => &["user.example.com", "@example.com", "user@", "a@@b"],
        "hostname" | "idn-hostname" => &["-example.com", "exa mple.com", "a..b"],
        "ipv4" => &["999.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4.5"],
        "ipv6" => &[
            "2001:db8:::1",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "::ffff:999.0.0.1",
        ],
        "uri" | "iri" => &["relative/path", "http://exa mple.com", "://nothing"],
        "uri-reference" | "iri-reference" => &["\\\\WINDOWS\\file", "http://exa mple.com"],
        "uuid" => &[
            "00000000-0000-4000-8000",
            "00000000-0000-4000-8000-00000000000g",
        ],
        "uri-template" => &["https://example.com/{id"],
        "json-pointer" => &["a/b", "/a~2"],
        "relative-json-pointer" => &["/a", "-1/a", "01"],
        "regex" => &["^(abc]", "[z-a]"],
        _ => &[],
    }
}

/// The near misses the field mutations plan for `format` (its plainest few), then a plain
/// phrase that is no value of it at all.
pub(crate) fn plainest_misses(format: &str) -> Vec<String> {
    let plainest = match format {
        "date-time" => 3,
        "date" | "time" => 2,
        "email" | "idn-email" | "uuid" | "ipv4" => 1,
        _ => 0,
    };
    near_misses(format)
        .iter()
        .take(plainest)
        .map(|s| (*s).to_owned())
        .chain([format!("not a {format}")])
        .collect()
}
