//! Loader tests: every refused or unsupported construct names `file:line:col`, `<base />`
//! combines scopes as APIM does, and the loader stays bounded on hostile input (proptest).

use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn doc(inbound: &str) -> String {
    format!("<policies>\n  <inbound>\n    {inbound}\n  </inbound>\n</policies>\n")
}

fn load_err(inbound: &str) -> XmlError {
    parse_document("p.xml", &doc(inbound), "api t").expect_err("should be refused")
}

#[test]
fn test_refused_policies_name_the_element_location_and_apims_reason() {
    for name in [
        "mock-response",
        "cache-lookup",
        "cache-store",
        "cache-lookup-value",
        "cache-store-value",
        "cors",
        "jsonp",
        "set-method",
        "set-body",
        "xml-to-json",
        "json-to-xml",
        "xsl-transform",
        "validate-content",
        "validate-parameters",
        "validate-headers",
        "validate-status-code",
    ] {
        let e = load_err(&format!("<{name} />"));
        assert_eq!(e.location, "p.xml:3:5", "{name}");
        assert!(e.message.contains(&format!("<{name}> is not allowed in a WebSocket API's onHandshake")), "{e}");
        assert!(e.message.contains("APIM refuses it there"), "{e}");
    }
}

#[test]
fn test_unsupported_constructs_are_errors_with_file_line_col() {
    let cases: &[(&str, &str, &str)] = &[
        ("<send-request mode=\"new\" />", "p.xml:3:5", "policy <send-request> is not supported"),
        (
            "<base />\n    <choose><when condition=\"true\"><base /></when></choose>",
            "p.xml:4:36",
            "<base /> is only allowed",
        ),
        (
            "<ip-filter action=\"allow\" extra=\"1\"><address>1.2.3.4</address></ip-filter>",
            "p.xml:3:31",
            "attribute \"extra\"",
        ),
        ("<ip-filter action=\"maybe\" />", "p.xml:3:5", "action must be"),
        ("<ip-filter action=\"allow\"><address>not-an-ip</address></ip-filter>", "p.xml:3:31", "not an IP address"),
        (
            "<set-header name=\"X\"><value>@(context.User.Email)</value></set-header>",
            "p.xml:3:35",
            "unsupported `context.User`",
        ),
        (
            "<choose><when condition=\"@(context.Request.Headers.GetValueOrDefault(&quot;a&quot;,&quot;&quot;).Split(&quot;,&quot;))\"></when></choose>",
            "p.xml:3:",
            "unsupported member `.Split`",
        ),
        ("<set-header name=\"X\"><value>@{ return \"a\"; }</value></set-header>", "p.xml:3:33", "multi-statement"),
        ("<set-header name=\"X\"><value>{{secret}}</value></set-header>", "p.xml:3:33", "named values"),
        ("<rate-limit-by-key calls=\"5\" renewal-period=\"60\" />", "p.xml:3:5", "needs \"counter-key\""),
        (
            "<rate-limit calls=\"5\" renewal-period=\"60\"><api name=\"x\" /></rate-limit>",
            "p.xml:3:47",
            "children are not supported",
        ),
        ("<quota bandwidth=\"100\" renewal-period=\"60\" />", "p.xml:3:12", "attribute \"bandwidth\""),
        (
            "<validate-jwt header-name=\"Authorization\"><openid-config url=\"https://x\" /></validate-jwt>",
            "p.xml:3:47",
            "openid-config",
        ),
        ("<validate-jwt header-name=\"Authorization\" />", "p.xml:3:5", "needs <issuer-signing-keys>"),
        (
            "<validate-jwt><issuer-signing-keys><key certificate-id=\"c\" /></issuer-signing-keys></validate-jwt>",
            "p.xml:3:40",
            "certificate-id",
        ),
        ("<set-backend-service backend-id=\"b\" />", "p.xml:3:5", "backend-id"),
        ("<set-backend-service base-url=\"ftp://x\" />", "p.xml:3:5", "scheme ftp"),
        ("<check-header name=\"X\" failed-check-httpcode=\"401\" />", "p.xml:3:5", "failed-check-error-message"),
        ("<return-response><set-status code=\"101\" /></return-response>", "p.xml:3:22", "not a final HTTP status"),
        ("<choose><otherwise /></choose>", "p.xml:3:5", "needs at least one <when>"),
        ("stray text", "p.xml:3:5", "unexpected text"),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .map(|(inbound, location, message)| (inbound, location, message, load_err(inbound)))
        .filter(|(_, location, message, e)| !e.location.starts_with(**location) || !e.message.contains(**message))
        .map(|(inbound, location, _, e)| format!("{inbound} (expected {location}): {e}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn test_sections_and_root_are_checked() {
    let e = parse_document("p.xml", "<policy><inbound /></policy>", "g").unwrap_err();
    assert_eq!((e.location.as_str(), e.message.contains("<policies>")), ("p.xml:1:1", true));
    let e = parse_document(
        "p.xml",
        "<policies>\n<outbound><set-header name=\"a\"><value>b</value></set-header></outbound></policies>",
        "g",
    )
    .unwrap_err();
    assert_eq!(e.location, "p.xml:2:11");
    assert!(e.message.contains("inbound section"), "{e}");
    let e = parse_document("p.xml", "<policies>\n  <inbound>\n</policies>", "g").unwrap_err();
    assert!(e.location.starts_with("p.xml:3:") && e.message.contains("not well-formed"), "{e}");
    let e = parse_document("p.xml", "<!DOCTYPE x [<!ENTITY a \"b\">]><policies />", "g").unwrap_err();
    assert!(e.message.contains("not well-formed"), "{e}");
}

fn scope(scope: &str, inbound: &str) -> Option<Arc<ScopeDoc>> {
    Some(Arc::new(parse_document(&format!("{scope}.xml"), &doc(inbound), scope).unwrap()))
}

fn header(v: &str) -> String {
    format!("<set-header name=\"X-Order\" exists-action=\"append\"><value>{v}</value></set-header>")
}

#[test]
fn test_base_splices_the_enclosing_scope_and_missing_base_drops_it() {
    let policies = ApiPolicies {
        global: scope("global", &header("g")),
        products: vec![("p".into(), scope("product", &format!("{}<base />{}", header("p1"), header("p2"))))],
        api: scope("api", &format!("<base />{}", header("a"))),
        operation: None,
        subscriptions: Vec::new(),
    };
    let order = |list: Vec<Scoped>| list.iter().map(|s| s.scope.clone()).collect::<Vec<_>>();
    assert_eq!(order(policies.effective(Some("p"))), ["product", "global", "product", "api"]);
    // Without the product's scope, the API's <base /> is the global section directly.
    assert_eq!(order(policies.effective(None)), ["global", "api"]);
    // An API document without <base /> drops every enclosing scope, as in APIM.
    let alone = ApiPolicies { api: scope("api", &header("a")), ..policies };
    assert_eq!(order(alone.effective(Some("p"))), ["api"]);
}

#[test]
fn test_limits_bound_depth_size_and_attributes() {
    let deep = format!("{}{}", "<choose><when condition=\"true\">".repeat(40), "</when></choose>".repeat(40));
    let e = load_err(&deep);
    assert!(e.message.contains("nested deeper than"), "{e}");
    let huge = "a".repeat(MAX_ATTRIBUTE_BYTES + 1);
    let e = load_err(&format!("<set-header name=\"X\"><value>{huge}</value></set-header>"));
    assert!(e.message.contains("longer than"), "{e}");
    let big = format!("<policies><!--{}--></policies>", "x".repeat(MAX_DOCUMENT_BYTES));
    assert!(parse_document("p.xml", &big, "g").unwrap_err().message.contains("larger than"));
    let many = format!("<policies><inbound>{}</inbound></policies>", "<base />".repeat(MAX_NODES as usize));
    assert!(parse_document("p.xml", &many, "g").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary text never panics the loader.
    #[test]
    fn prop_arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse_document("f.xml", &text, "g");
    }

    /// Policy-shaped documents with random names, attributes and nesting never panic.
    #[test]
    fn prop_policy_shaped_documents_never_panic(
        names in prop::collection::vec(prop::sample::select(vec![
            "base", "choose", "when", "otherwise", "set-header", "value", "ip-filter", "address",
            "validate-jwt", "issuer-signing-keys", "key", "rate-limit-by-key", "quota", "return-response",
            "set-status", "set-body", "check-header", "set-query-parameter", "set-backend-service", "cors",
        ]), 1..12),
        attr in "[ -~]{0,40}",
        depth in 0usize..40,
    ) {
        let mut body = String::new();
        for n in &names {
            body.push_str(&format!("<{n} name=\"{a}\" condition=\"@({a})\" counter-key=\"@({a})\" calls=\"1\" renewal-period=\"1\" action=\"allow\">",
                a = attr.replace(['"', '<', '&'], "")));
        }
        body.push_str(&"<choose><when condition=\"true\">".repeat(depth));
        body.push_str(&"</when></choose>".repeat(depth));
        for n in names.iter().rev() {
            body.push_str(&format!("</{n}>"));
        }
        let _ = parse_document("f.xml", &format!("<policies><inbound>{body}</inbound></policies>"), "g");
    }

    /// Expressions made of the supported tokens in random order never panic.
    #[test]
    fn prop_expression_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "context", ".", "Request", "Headers", "GetValueOrDefault", "(", ")", "\"a\"", ",", "==", "!=",
        "&&", "||", "!", "string", "IsNullOrEmpty", "Contains", "Subscription", "Name", "true", "null",
    ]), 0..60)) {
        let _ = expr::parse(&tokens.join(" "));
    }
}
