use super::chain::*;
use proptest::prelude::*;

fn entry(i: i64) -> AuditEntry {
    AuditEntry {
        id: format!("aud_{i:04}"),
        organization_id: "org_1".into(),
        actor: "system".into(),
        action: "invoice.created".into(),
        subject: format!("inv_{i}"),
        ip: None,
        detail: format!(r#"{{"n":{i}}}"#),
        created_at: 1_700_000_000_000 + i * 1000,
    }
}

#[test]
fn a_known_row_hashes_to_a_known_value() {
    // Computed once with `sha256sum` over the canonical text below; the
    // value must never change, or every stored chain breaks.
    let e = entry(1);
    let text = r#"[1,"aud_0001","org_1","system","invoice.created","inv_1",null,"{\"n\":1}",1700000001000,"0000000000000000000000000000000000000000000000000000000000000000"]"#;
    assert_eq!(
        serde_json::json!([
            1,
            e.id,
            e.organization_id,
            e.actor,
            e.action,
            e.subject,
            e.ip,
            e.detail,
            e.created_at,
            GENESIS
        ])
        .to_string(),
        text
    );
    assert_eq!(
        digest(1, &e, GENESIS),
        "1e5b25a049182ec24bbd4104965a730b3c8b7dfa36a465ff5cd16e825d582b44"
    );
}

#[test]
fn seal_orders_by_time_and_continues_from_the_head() {
    let first = seal(None, vec![entry(2), entry(1)]);
    assert_eq!(first[0].entry.id, "aud_0001");
    assert_eq!(first[0].seq, 1);
    assert_eq!(first[0].prev_hash, GENESIS);
    assert_eq!(first[1].prev_hash, first[0].hash);
    let head = Head {
        seq: 2,
        hash: first[1].hash.clone(),
    };
    let next = seal(Some(&head), vec![entry(3)]);
    assert_eq!(next[0].seq, 3);
    assert_eq!(next[0].prev_hash, first[1].hash);
    let all: Vec<ChainEntry> = first.into_iter().chain(next).collect();
    let v = verify(&all, Some(1)).unwrap();
    assert_eq!((v.rows, v.first_seq, v.last_seq), (3, Some(1), Some(3)));
}

#[test]
fn a_removed_row_is_missing_from_a_whole_chain() {
    let mut rows = seal(None, (1..=5).map(entry).collect());
    rows.remove(2);
    assert_eq!(
        verify(&rows, Some(1)),
        Err(ChainBreak::Missing { from: 3, to: 3 })
    );
    // A part of the chain (a customer's rows) has gaps by design.
    assert!(verify(&rows, None).is_ok());
    // A page of the chain that starts later must start where it says.
    assert_eq!(
        verify(&rows[2..], Some(3)),
        Err(ChainBreak::Missing { from: 3, to: 3 })
    );
    assert!(verify(&rows[2..], Some(4)).is_ok());
}

#[test]
fn a_changed_row_with_its_hash_recomputed_breaks_the_next_link() {
    let mut rows = seal(None, (1..=4).map(entry).collect());
    rows[1].entry.detail = r#"{"n":999}"#.into();
    rows[1].hash = digest(2, &rows[1].entry, &rows[1].prev_hash);
    assert_eq!(
        verify(&rows, None),
        Err(ChainBreak::Unlinked {
            seq: 3,
            id: "aud_0003".into(),
            prev_seq: 2
        })
    );
}

#[test]
fn a_doubled_row_is_refused() {
    let mut rows = seal(None, (1..=3).map(entry).collect());
    rows.push(rows[1].clone());
    assert!(matches!(
        verify(&rows, Some(1)),
        Err(ChainBreak::Duplicate { seq: 2, .. })
    ));
}

#[test]
fn a_first_row_that_does_not_start_from_genesis_is_refused() {
    let mut rows = seal(None, vec![entry(1)]);
    rows[0].prev_hash = "ab".repeat(32);
    rows[0].hash = digest(1, &rows[0].entry, &rows[0].prev_hash);
    assert!(matches!(
        verify(&rows, None),
        Err(ChainBreak::Unlinked {
            seq: 1,
            prev_seq: 0,
            ..
        })
    ));
}

proptest! {
    /// Whatever is sealed verifies, in any order it is read back.
    #[test]
    fn sealed_rows_verify(n in 1usize..40, rotate in 0usize..40) {
        let mut rows = seal(None, (0..n as i64).map(entry).collect());
        let k = rotate % rows.len();
        rows.rotate_left(k);
        let v = verify(&rows, Some(1)).unwrap();
        prop_assert_eq!(v.rows, n);
    }

    /// Changing any one field of any one row is found, and the row named.
    #[test]
    fn any_change_names_the_row(n in 1usize..30, at in 0usize..30, field in 0usize..8, text in "[a-z0-9]{1,8}") {
        let mut rows = seal(None, (0..n as i64).map(entry).collect());
        let i = at % n;
        let e = &mut rows[i].entry;
        match field {
            0 => e.id.push_str(&text),
            1 => e.organization_id.push_str(&text),
            2 => e.actor.push_str(&text),
            3 => e.action.push_str(&text),
            4 => e.subject.push_str(&text),
            5 => e.ip = Some(text.clone()),
            6 => e.detail.push_str(&text),
            _ => e.created_at += 1,
        }
        let seq = rows[i].seq;
        let found = verify(&rows, None);
        let named = matches!(&found, Err(ChainBreak::Altered { seq: s, .. }) if *s == seq);
        prop_assert!(named, "{:?}", found);
    }
}
