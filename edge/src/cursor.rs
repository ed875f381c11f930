//! Opaque pagination cursors. A cursor wraps the last id of a page; ids sort
//! by creation time, so `WHERE id < ?` walks the collection newest first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes the last id of a page.
pub fn encode(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{last_id}"))
}

/// Decodes a cursor back into an id; `None` for anything we did not make.
pub fn decode(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    let id = s.strip_prefix("v1:")?;
    (id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| id.to_owned())
}

/// Page size from `?limit=`: 1 to 100, 25 by default; `None` when invalid.
pub fn limit(requested: Option<&str>) -> Option<u32> {
    match requested {
        None => Some(25),
        Some(s) => s.parse::<u32>().ok().filter(|n| (1..=100).contains(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let c = encode("inv_0193f1c2a4b1aaaaaaaaaaaaaaaaaaaa");
        assert_eq!(
            decode(&c).as_deref(),
            Some("inv_0193f1c2a4b1aaaaaaaaaaaaaaaaaaaa")
        );
        assert_eq!(decode("not a cursor"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("v1:x' OR 1=1")), None);
        assert_eq!(limit(Some("0")), None);
        assert_eq!(limit(Some("101")), None);
        assert_eq!(limit(Some("x")), None);
        assert_eq!(limit(None), Some(25));
    }
}
