use super::*;

fn letter(locale: &str, n: usize) -> Letter {
    Letter {
        company: "Acme <Tools> & Co".into(),
        support_email: Some("ar@acme.example".into()),
        footer: Some("Acme SARL, 1 rue de la Paix, Paris".into()),
        colour: "#0b5fff".into(),
        logo_url: None,
        customer: "Zoë \"Z\" O'Brien".into(),
        customer_email: "zoe@example.com".into(),
        locale: locale.into(),
        today: "2026-12-06".into(),
        pay_within_days: 10,
        pay_url: "https://pay.acme.example/link".into(),
        items: (0..n)
            .map(|i| Item {
                number: format!("INV-{i:04}"),
                issue_date: "2026-09-01".into(),
                due_date: "2026-10-01".into(),
                days_late: 66,
                due: 125_050 + i as i64,
                currency: if i % 2 == 0 { "EUR" } else { "USD" }.into(),
            })
            .collect(),
    }
}

#[test]
fn the_text_lists_each_item_and_totals_per_currency() {
    let t = text(&letter("en-GB", 3));
    assert_eq!(t.rows.len(), 3);
    assert_eq!(
        t.rows[0],
        ["INV-0000", "1 Sep 2026", "1 Oct 2026", "66", "€1,250.50"].map(String::from)
    );
    // 1,250.50 + 1,250.52 EUR; 1,250.51 USD.
    assert_eq!(t.totals, ["Total due: €2,501.02", "Total due: $1,250.51"]);
    assert!(
        t.paragraphs[0].contains("16 Dec 2026"),
        "{:?}",
        t.paragraphs
    );
    assert!(t.intro.contains("(3)"));
    let fr = text(&letter("fr-FR", 1));
    assert_eq!(fr.rows[0][4], "1\u{202f}250,50\u{a0}€");
    assert!(fr.paragraphs[0].contains("16 déc. 2026"));
}

#[test]
fn the_page_escapes_what_people_typed() {
    let h = html(&letter("en", 2));
    assert!(
        h.contains("Acme &#60;Tools&#62; &#38; Co") || h.contains("Acme &lt;Tools&gt; &amp; Co"),
        "{h}"
    );
    assert!(!h.contains("<Tools>"));
    assert!(h.contains("INV-0001"));
    assert!(h.contains("border-top:8px solid #0b5fff"));
    let ar = html(&letter("ar", 1));
    assert!(ar.contains("dir=\"rtl\""));
}

#[test]
fn the_pdf_is_well_formed_and_pages_long_lists() {
    let one = pdf(&letter("en", 3));
    assert!(one.starts_with(b"%PDF-1.4"));
    assert!(one.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(&one);
    assert!(text.contains("/Count 1"));
    assert!(text.contains("(INV-0002)"));
    // Every offset in the cross-reference table points at its object.
    let xref_at: usize = text
        .rsplit("startxref\n")
        .next()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let table = &text[xref_at..];
    for (i, line) in table
        .lines()
        .skip(3)
        .take_while(|l| l.ends_with(" n "))
        .enumerate()
    {
        let off: usize = line[..10].parse().unwrap();
        assert!(
            one[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
            "object {}",
            i + 1
        );
    }
    let long = String::from_utf8_lossy(&pdf(&letter("en", 70))).into_owned();
    assert!(long.contains("/Count 3"), "28 rows a page");
    // An Arabic customer's PDF is written in English (Helvetica has no
    // Arabic letters); the HTML page is in Arabic.
    let ar = String::from_utf8_lossy(&pdf(&letter("ar", 1))).into_owned();
    assert!(ar.contains("(Overdue invoices)"));
}
