//! Tests only: a form body Settle sends is checked against Stripe's own API
//! description (`../shared/stripe/openapi.subset.json`): every parameter
//! exists, enum values are allowed, integers are integers, lengths fit, and
//! every required parameter is sent.

use serde_json::Value;

/// The schema node for `path` (`["line_items", "0", "price_data"]`),
/// following objects, arrays, `anyOf` branches and free-form maps
/// (metadata).
fn schema_at<'v>(node: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let Some((head, rest)) = path.split_first() else {
        return Some(node);
    };
    if let Some(branches) = node["anyOf"].as_array() {
        return branches.iter().find_map(|b| schema_at(b, path));
    }
    if head.bytes().all(|b| b.is_ascii_digit()) && node.get("items").is_some() {
        return schema_at(&node["items"], rest);
    }
    if let Some(child) = node["properties"].get(*head) {
        return schema_at(child, rest);
    }
    // A map of free keys, such as metadata: its values are plain strings.
    if node["additionalProperties"].is_object() && rest.is_empty() {
        return Some(&node["additionalProperties"]);
    }
    None
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Panics, naming the parameter, unless `body` (form-encoded) is a valid
/// `POST {path}` by Stripe's description.
pub fn check(path: &str, body: &str) {
    let file = super::reference_data().join("openapi.subset.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let schema = &spec["paths"][path]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        ["schema"];
    assert!(schema.is_object(), "no POST {path} in Stripe's description");
    let mut roots = Vec::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        let (k, v) = (decode(k), decode(v));
        let parts: Vec<&str> = k.split(['[', ']']).filter(|p| !p.is_empty()).collect();
        let node = schema_at(schema, &parts)
            .unwrap_or_else(|| panic!("`{k}` is not a parameter Stripe documents for {path}"));
        if let Some(allowed) = node["enum"].as_array() {
            assert!(
                allowed.iter().any(|a| a == v.as_str()),
                "`{k}={v}` is not one of {allowed:?}"
            );
        }
        if node["type"] == "integer" {
            assert!(v.parse::<i64>().is_ok(), "`{k}` must be an integer");
        }
        if node["type"] == "boolean" {
            assert!(v == "true" || v == "false", "`{k}` must be a boolean");
        }
        if let Some(max) = node["maxLength"].as_u64() {
            assert!(
                v.chars().count() as u64 <= max,
                "`{k}` is longer than {max}"
            );
        }
        roots.push(parts[0].to_owned());
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        assert!(
            roots.iter().any(|r| r == required.as_str().unwrap()),
            "required `{required}` is not sent to {path}"
        );
    }
}
