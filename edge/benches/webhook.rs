//! The per-event CPU cost of a Stripe webhook before any I/O: verifying
//! `Stripe-Signature` over the raw body, parsing the event, reading facts.
//! `cargo bench -p settle-edge --bench webhook`

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use settle_edge::stripe::{events::Event, reconcile, signature};

fn body() -> Vec<u8> {
    let path = settle_edge::stripe::reference_data()
        .join("events/checkout.session.completed__jam-coop_2023-10-16.json");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn webhook(c: &mut Criterion) {
    let body = body();
    let secret = "whsec_bench_not_a_secret";
    let header = signature::header(secret, 1_700_000_000, &body);
    c.bench_function(&format!("verify signature ({} B event)", body.len()), |b| {
        b.iter(|| {
            signature::verify(
                black_box(&body),
                Some(black_box(&header)),
                secret,
                1_700_000_010,
                300,
            )
            .unwrap()
        })
    });
    c.bench_function("verify + parse + facts", |b| {
        b.iter(|| {
            signature::verify(black_box(&body), Some(&header), secret, 1_700_000_010, 300).unwrap();
            let e = Event::parse(black_box(&body)).unwrap();
            black_box(reconcile::facts(&e))
        })
    });
}

criterion_group!(benches, webhook);
criterion_main!(benches);
