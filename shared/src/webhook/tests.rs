use super::*;
use crate::ids::testing::FakeEntropy;

fn secret(s: &str) -> Secret {
    Secret::parse(s).expect("valid secret")
}

#[test]
fn signs_the_standard_webhooks_vectors() {
    // The Standard Webhooks specification's own vector, and one checked with the official
    // libraries.
    assert_eq!(
        secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
    assert_eq!(
        secret("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").sign(
            "evt_0001",
            1_700_000_000,
            r#"{"type":"payment.confirmed","data":{"invoice_id":"inv_123","amount":"1.500000","asset":"USDC","chain_id":8453,"tx_hash":"0xabc"}}"#
        ),
        "v1,Hj+skpE7+DjStjK0iRaWQOm8/wpTTxcKzcooc06waFM="
    );
}

#[test]
fn a_signature_covers_id_timestamp_and_body() {
    let s = secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let base = s.sign("evt_1", 100, "{}");
    assert_ne!(s.sign("evt_2", 100, "{}"), base);
    assert_ne!(s.sign("evt_1", 101, "{}"), base);
    assert_ne!(s.sign("evt_1", 100, "{ }"), base);
}

#[test]
fn rotation_signs_with_both_secrets() {
    let new = Secret::generate(&mut FakeEntropy(7));
    let old = Secret::generate(&mut FakeEntropy(8));
    let header = signature_header(&[new.clone(), old.clone()], "evt_1", 5, "{}");
    let parts: Vec<&str> = header.split(' ').collect();
    assert_eq!(
        parts,
        [new.sign("evt_1", 5, "{}"), old.sign("evt_1", 5, "{}")]
    );
    assert_ne!(parts[0], parts[1]);
}

#[test]
fn secrets_round_trip_and_bad_ones_are_refused() {
    let s = Secret::generate(&mut FakeEntropy(1));
    let encoded = s.encoded();
    assert!(encoded.starts_with("whsec_"));
    assert_eq!(Secret::parse(&encoded), Some(s));
    assert_eq!(
        format!("{:?}", Secret::parse(&encoded).unwrap()),
        "Secret(…)"
    );
    assert!(Secret::parse("whsec_").is_none());
    assert!(
        Secret::parse("whsec_AAAA").is_none(),
        "3 bytes is too short"
    );
    assert!(
        Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none(),
        "no prefix"
    );
    assert!(Secret::parse("whsec_not base64!").is_none());
}

#[test]
fn the_schedule_is_seven_retries_over_about_a_day() {
    let t = Timestamp(1_000);
    let fail = Response::Status(500);
    let delays: Vec<u64> = (1..=7)
        .map(|n| match judge(n, &fail, t) {
            Verdict::Retry(at) => at.0 - t.0,
            other => panic!("attempt {n}: {other:?}"),
        })
        .collect();
    assert_eq!(delays, [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]);
    assert_eq!(judge(8, &fail, t), Verdict::Failed);
    assert_eq!(judge(0, &fail, t), Verdict::Failed);
    assert_eq!(judge(3, &Response::Status(204), t), Verdict::Delivered);
    assert_eq!(judge(8, &Response::Status(200), t), Verdict::Delivered);
    assert_eq!(judge(1, &Response::Status(410), t), Verdict::Gone);
    assert_eq!(
        judge(1, &Response::Status(301), t),
        Verdict::Retry(t.plus_secs(5)),
        "a redirect is not followed and not a success"
    );
    assert_eq!(
        judge(2, &Response::TimedOut, t),
        Verdict::Retry(t.plus_secs(300))
    );
    assert_eq!(
        judge(3, &Response::Transport("connection refused".into()), t),
        Verdict::Retry(t.plus_secs(1_800))
    );
    assert_eq!(
        attempt_error(&Response::TimedOut).unwrap(),
        "timed out after 10 s"
    );
    assert_eq!(
        attempt_error(&Response::Status(302)).unwrap(),
        "redirect (302) not followed"
    );
    assert_eq!(attempt_error(&Response::Status(200)), None);
}

#[test]
fn endpoint_parameters() {
    let ok = parse_create(
        r#"{"url":"https://shop.example/hooks","events":["session.paid","session.created","session.paid"]}"#,
        true,
    )
    .unwrap();
    assert_eq!(
        ok.events,
        EventFilter::Only(vec![EventType::Created, EventType::Paid]),
        "catalogue order, no duplicates"
    );
    assert!(ok.enabled);
    let all = parse_create(
        r#"{"url":"http://127.0.0.1:9/x","events":["session.paid","*"]}"#,
        false,
    );
    assert_eq!(all.unwrap().events, EventFilter::All);

    let param = |body: &str, live: bool| parse_create(body, live).unwrap_err().param.unwrap();
    assert_eq!(param(r#"{"events":["*"]}"#, false), "url");
    assert_eq!(param(r#"{"url":"https://a.example"}"#, false), "events");
    assert_eq!(
        param(r#"{"url":"https://a.example","events":[]}"#, false),
        "events"
    );
    assert_eq!(
        param(r#"{"url":"https://a.example","events":"*"}"#, false),
        "events"
    );
    assert_eq!(
        param(
            r#"{"url":"https://a.example","events":["session.paied"]}"#,
            false
        ),
        "events"
    );
    assert_eq!(
        param(r#"{"url":"https://a.example","events":[1]}"#, false),
        "events"
    );
    assert_eq!(
        param(
            r#"{"url":"https://a.example","events":["*"],"secret":"x"}"#,
            false
        ),
        "secret"
    );
    assert_eq!(
        param(
            r#"{"url":"https://a.example","events":["*"],"enabled":"yes"}"#,
            false
        ),
        "enabled"
    );
    assert_eq!(
        param(r#"{"url":"ftp://a.example","events":["*"]}"#, false),
        "url"
    );
    assert_eq!(
        param(r#"{"url":"http://a.example","events":["*"]}"#, true),
        "url"
    );

    let update = parse_update(r#"{"enabled":false,"description":null}"#, true).unwrap();
    assert_eq!(update.enabled, Some(false));
    assert_eq!(update.description, Some(None));
    assert_eq!(update.url, None);
    assert_eq!(
        parse_update(r#"{"url":null}"#, true)
            .unwrap_err()
            .param
            .unwrap(),
        "url"
    );
}

#[test]
fn live_urls_must_not_point_inside() {
    for url in [
        "https://127.0.0.1/x",
        "https://127.1.2.3:8443/",
        "https://10.0.0.8/",
        "https://172.16.5.4/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/",
        "https://100.64.0.1/",
        "https://[::1]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::]/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://0177.0.0.1/",
        "https://localhost/",
        "https://api.localhost./",
        "https://user:pw@10.1.1.1/",
        "http://shop.example/",
        // Read as fetch reads them: a backslash ends the host, hosts are percent-decoded and
        // mapped (full-width digits, ideographic dots).
        "https://127.0.0.1\\@evil.example/",
        "https://127.0.0.%31/",
        "https://127.0.0.\u{ff11}/",
        "https://127\u{3002}0\u{3002}0\u{3002}1/",
        "https://0x7f000001/",
        "https://LOCALHOST/",
    ] {
        assert!(
            check_url(url, true).is_err(),
            "{url} must be refused in live mode"
        );
    }
    for url in [
        "https://shop.example/hooks",
        "https://8.8.8.8/hooks",
        "https://[2606:4700::1111]/",
        "https://hooks.example:8443/x?y=1",
        "https://10.example.com/",
    ] {
        assert!(check_url(url, true).is_ok(), "{url} is a public https URL");
    }
    assert!(
        check_url("http://127.0.0.1:8788/hooks", false).is_ok(),
        "test mode may be local"
    );
    let creds = check_url("https://user:pw@shop.example/hooks", false).unwrap_err();
    assert!(
        creds.message.contains("user name or password"),
        "{}",
        creds.message
    );
}

#[test]
fn live_urls_refuse_ipv6_forms_that_reach_internal_addresses() {
    for (url, form) in [
        ("https://[::ffff:10.0.0.1]/", "IPv4-mapped private"),
        (
            "https://[::ffff:7f00:1]/",
            "IPv4-mapped loopback, hex spelling",
        ),
        (
            "https://[::ffff:169.254.169.254]/",
            "IPv4-mapped link-local",
        ),
        ("https://[::ffff:0:127.0.0.1]/", "IPv4-translated loopback"),
        ("https://[::ffff:0:192.168.0.1]/", "IPv4-translated private"),
        ("https://[::7f00:1]/", "IPv4-compatible loopback"),
        ("https://[::127.0.0.1]/", "IPv4-compatible loopback, dotted"),
        ("https://[::10.0.0.1]/", "IPv4-compatible private"),
        ("https://[::a9fe:a9fe]/", "IPv4-compatible link-local"),
        (
            "https://[::8.8.8.8]/",
            "IPv4-compatible is deprecated: refused whole",
        ),
        ("https://[2002:7f00:1::]/", "6to4 of loopback"),
        ("https://[2002:c0a8:101::1]/", "6to4 of 192.168.1.1"),
        ("https://[2002:808:808::1]/", "6to4 is refused whole"),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
        ("https://[2001::1]/", "Teredo, short"),
        ("https://[64:ff9b::7f00:1]/", "NAT64 of loopback"),
        ("https://[64:ff9b::10.1.2.3]/", "NAT64 of private"),
        ("https://[64:ff9b::8.8.8.8]/", "NAT64 is refused whole"),
        ("https://[64:ff9b:1::a00:1]/", "local-use NAT64"),
        (
            "https://[64:ff9b:1:ffff::1]/",
            "local-use NAT64, other subnet",
        ),
        ("https://[fec0::1]/", "site-local"),
        ("https://[feff:ffff::1]/", "site-local, top of the range"),
        ("https://[FC00::1]/", "unique local, upper case"),
        ("https://[ff02::1]/", "multicast"),
        ("https://[100::1]/", "discard-only"),
        ("https://[0:0:0:0:0:0:0:1]/", "loopback, long spelling"),
    ] {
        assert!(
            check_url(url, true).is_err(),
            "{url} ({form}) must be refused in live mode"
        );
        assert!(
            check_url(url, false).is_ok(),
            "{url} ({form}) is fine in test mode"
        );
    }
    for url in [
        "https://[2606:4700::1111]/",
        "https://[2001:4860:4860::8888]/",
        "https://[::ffff:8.8.8.8]/",
        "https://[2003::1]/",
        "https://[fbff::1]/",
        "https://[2001:200:dff:fff1::1]/",
    ] {
        assert!(check_url(url, true).is_ok(), "{url} is a public address");
    }
}

#[test]
fn updates_move_updated_at_only_on_change() {
    let endpoint = Endpoint {
        id: format!("we_{}", "1".repeat(24)).parse().unwrap(),
        object: "webhook_endpoint".into(),
        url: "https://a.example".into(),
        events: EventFilter::All,
        description: None,
        enabled: true,
        livemode: false,
        secret: None,
        previous_secret_expires_at: None,
        created_at: Timestamp(1),
        updated_at: Timestamp(1),
    };
    let same = parse_update(r#"{"enabled":true}"#, false)
        .unwrap()
        .apply(&endpoint, Timestamp(9));
    assert_eq!(same, endpoint);
    let off = parse_update(r#"{"enabled":false}"#, false)
        .unwrap()
        .apply(&endpoint, Timestamp(9));
    assert!(!off.enabled);
    assert_eq!(off.updated_at, Timestamp(9));
}

#[test]
fn redeliver_takes_an_optional_endpoint() {
    assert_eq!(parse_redeliver("").unwrap(), None);
    assert_eq!(parse_redeliver("{}").unwrap(), None);
    assert_eq!(
        parse_redeliver(r#"{"endpoint":null}"#).unwrap(),
        None,
        "null is every endpoint, as the OpenAPI document says"
    );
    assert_eq!(
        parse_redeliver(r#"{"endpoint":"we_x"}"#)
            .unwrap()
            .as_deref(),
        Some("we_x")
    );
    assert_eq!(
        parse_redeliver(r#"{"to":"we_x"}"#)
            .unwrap_err()
            .param
            .unwrap(),
        "to"
    );
}

#[test]
fn an_event_filter_is_stored_and_answered_as_a_list_of_names() {
    let only = EventFilter::Only(vec![EventType::Created, EventType::PaidLate]);
    let json = serde_json::to_string(&only).unwrap();
    assert_eq!(json, r#"["session.created","session.paid_late"]"#);
    assert_eq!(serde_json::from_str::<EventFilter>(&json).unwrap(), only);
    assert_eq!(
        serde_json::to_string(&EventFilter::All).unwrap(),
        r#"["*"]"#
    );
    assert_eq!(
        serde_json::from_str::<EventFilter>(r#"["*"]"#).unwrap(),
        EventFilter::All
    );
    assert!(serde_json::from_str::<EventFilter>(r#"["session.paied"]"#).is_err());
}

#[test]
fn a_delivery_status_is_its_name_and_follows_the_verdict() {
    for status in [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ] {
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            serde_json::json!(status.as_str())
        );
    }
    assert_eq!(Verdict::Delivered.status(), DeliveryStatus::Delivered);
    assert_eq!(
        Verdict::Retry(Timestamp(5)).status(),
        DeliveryStatus::Pending
    );
    assert_eq!(Verdict::Failed.status(), DeliveryStatus::Failed);
    assert_eq!(Verdict::Gone.status(), DeliveryStatus::Failed);
}
