//! The readers against serde, the worker's own writer and reader of these types: what the
//! worker sends, the widget reads to the same value.

use kasse_shared::shopper::{CheckResult, ShopperRefund, ShopperView};
use serde_json::{Value, json};

use super::*;

impl Json for Value {
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }

    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn whole(&self) -> Option<u64> {
        self.as_u64().filter(|&n| n <= 9_007_199_254_740_991)
    }

    fn flag(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
}

fn option(chain_id: u64, token: &str, amount: &str, formatted: &str, decimals: u8) -> Value {
    json!({
        "chain_id": chain_id, "chain": "Local", "token": token, "amount": amount,
        "amount_formatted": formatted, "decimals": decimals, "native": token == "ETH",
        "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "tron": false,
    })
}

/// A paid view with every field present and none `null`.
fn full_view() -> Value {
    let usdc = option(31337, "USDC", "12500000", "12.5", 6);
    let eth = option(31337, "ETH", "4166666666666667", "0.004166666666666667", 18);
    let mut view = json!({
        "id": "cs_test_1", "object": "checkout.session", "status": "paid_late", "livemode": false,
        "currency": "usd", "amount_total": "1250", "description": "Two \"quoted\" mugs\n",
        "options": [usdc, eth], "selected": usdc,
        "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "address_tron": "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC",
        "payment_amount": {"value": "12500000", "formatted": "12.5", "decimals": 6, "token": "USDC"},
        "amount_received": "12500000", "amount_pending": "0", "amount_remaining": "0",
        "confirmations": {"current": 3, "required": 2},
        "expires_at": "2026-12-01T03:00:00Z", "late_until": "2026-12-01T04:00:00Z",
        "server_time": "2026-12-01T03:30:05Z",
    });
    let links = json!({
        "payment_uri": "ethereum:0x5FbDB2315678afecb367f032d93F642f64180aa3@31337/transfer?address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8&uint256=12500000",
        "wallet_transaction": {"chain_id_hex": "0x7a69", "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "value_hex": "0x0", "data": "0xa9059cbb"},
        "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cancel",
        "return_url": "https://shop.example/", "restart_url": "https://pay.example/l/plink_1",
        "branding": {"display_name": "Mug Shop", "logo_url": "https://shop.example/logo.png", "accent_color": "#0a7"},
        "locale": "pt-BR",
    });
    let payments = json!({
        "payments": [{
            "chain_id": 31338, "chain": "Local L2", "token": "USDC", "amount": "1000000000000000000",
            "amount_formatted": "1", "decimals": 18, "tx_hash": "0xab", "counted": false,
            "reason": "network_mismatch",
        }],
        "refund_offer": {"amount": "500000", "amount_formatted": "0.5", "token": "USDC", "decimals": 6, "chain_id": 31337, "chain": "Local"},
        "shopper_refund": refund(),
        "receipt": {
            "merchant": "Mug Shop", "reference": "order-42", "amount": "12500000",
            "amount_formatted": "12.5", "token": "USDC", "decimals": 6, "chain_id": 31337,
            "chain": "Local", "paid_at": "2026-12-01T04:50:05Z",
            "transactions": [{"tx_hash": "0xcd", "url": "https://explorer.example/tx/0xcd"}],
        },
        "check": {"tx_hash": "0xcd", "result": "not_this_checkout"},
    });
    let fields = view.as_object_mut().unwrap();
    for part in [links, payments] {
        let Value::Object(part) = part else {
            unreachable!()
        };
        fields.extend(part);
    }
    view
}

fn refund() -> Value {
    json!({
        "id": "rf_1", "status": "pending", "amount": "500000", "amount_formatted": "0.5",
        "token": "USDC", "chain_id": 31337, "chain": "Local",
        "address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "tx_hash": "0xef",
    })
}

fn nulls(value: &Value, at: &str) -> Vec<String> {
    match value {
        Value::Null => vec![at.to_owned()],
        Value::Array(items) => items.iter().flat_map(|v| nulls(v, at)).collect(),
        Value::Object(fields) => fields
            .iter()
            .flat_map(|(key, v)| nulls(v, &format!("{at}.{key}")))
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_view_with_every_field_reads_as_serde_reads_it() {
    let fixture = full_view();
    let expected: ShopperView = serde_json::from_value(fixture.clone()).unwrap();
    // Written back by the worker's serializer, the fixture is unchanged and has no `null`:
    // every field of the view, including any added later, is in it with a value.
    let written = serde_json::to_value(&expected).unwrap();
    assert_eq!(written, fixture);
    assert_eq!(nulls(&written, "view"), Vec::<String>::new());

    let read = ShopperView::read(&fixture).expect("the full view reads");
    assert_eq!(read, expected);
    assert_eq!(read.status, Status::PaidLate);
    assert_eq!(read.check.unwrap().result, CheckResult::NotThisCheckout);
    assert_eq!(read.receipt.unwrap().paid_at, Timestamp(1_796_100_605));
    assert_eq!(read.expires_at, Timestamp(1_796_094_000));
}

#[test]
fn absent_and_null_optional_fields_read_as_serde_reads_them() {
    let mut fixture = full_view();
    let fields = fixture.as_object_mut().unwrap();
    for key in [
        "description",
        "selected",
        "payment_amount",
        "payment_uri",
        "confirmations",
    ] {
        fields.insert(key.to_owned(), Value::Null);
    }
    for key in [
        "address_tron",
        "payments",
        "restart_url",
        "refund_offer",
        "shopper_refund",
    ] {
        fields.remove(key);
    }
    for key in [
        "locale",
        "receipt",
        "check",
        "wallet_transaction",
        "amount_received",
    ] {
        fields.remove(key);
    }
    fields["options"][0]
        .as_object_mut()
        .unwrap()
        .remove("address");
    fields["options"][0].as_object_mut().unwrap().remove("tron");
    let expected: ShopperView = serde_json::from_value(fixture.clone()).unwrap();
    let read = ShopperView::read(&fixture).expect("the sparse view reads");
    assert_eq!(read, expected);
    assert_eq!(read.payments, Vec::new());
    assert_eq!(read.options[0].address, "");
    assert_eq!(read.receipt, None);
}

#[test]
fn a_missing_or_mistyped_field_makes_the_view_unreadable_as_for_serde() {
    let broken: [(&str, Value); 6] = [
        ("status", json!("refunded")),
        ("options", json!(null)),
        ("expires_at", json!("yesterday")),
        ("livemode", json!("false")),
        ("selected", json!({"chain_id": 1})),
        ("confirmations", json!({"current": -1, "required": 2})),
    ];
    for (key, value) in broken {
        let mut fixture = full_view();
        fixture[key] = value;
        assert!(
            serde_json::from_value::<ShopperView>(fixture.clone()).is_err(),
            "{key}"
        );
        assert_eq!(ShopperView::read(&fixture), None, "{key}");
    }
    let mut fixture = full_view();
    fixture["options"][1]["decimals"] = json!(256);
    assert_eq!(ShopperView::read(&fixture), None);
}

#[test]
fn a_refund_reads_as_serde_reads_it() {
    let expected: ShopperRefund = serde_json::from_value(refund()).unwrap();
    assert_eq!(ShopperRefund::read(&refund()), Some(expected));
}

#[test]
fn an_error_body_gives_its_code_and_message() {
    let body = json!({"error": {"type": "invalid_request_error", "code": "parameter_invalid", "message": "No.", "param": "address"}});
    assert_eq!(
        error(&body),
        Some((ErrorCode::ParameterInvalid, "No.".to_owned()))
    );
    let unknown = json!({"error": {"code": "from_a_later_version"}});
    assert_eq!(error(&unknown), Some((ErrorCode::Unknown, String::new())));
    assert_eq!(error(&json!({"message": "not ours"})), None);
}
