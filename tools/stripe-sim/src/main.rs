//! `settle-stripe-sim --port N --webhook-base URL --webhook-secret S [--platform-key K]`:
//! runs the Stripe stand-in until killed.

fn main() {
    let mut o = settle_stripe_sim::Options::default();
    let mut args = std::env::args();
    args.next(); // the program itself
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&a));
        match a.as_str() {
            "--port" => o.port = value().parse().unwrap_or_else(|_| usage("--port")),
            "--webhook-base" => o.webhook_base = value(),
            "--webhook-secret" => o.webhook_secret = value(),
            "--platform-key" => o.platform_key = Some(value()),
            "--debit-delay-ms" => {
                o.debit_delay_ms = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--debit-delay-ms"))
            }
            "--delay-ms" => o.delay_ms = value().parse().unwrap_or_else(|_| usage("--delay-ms")),
            "--duplicate" => o.duplicate = true,
            "--reverse" => o.reverse = true,
            other => usage(other),
        }
    }
    let sim = settle_stripe_sim::StripeSim::start(o).unwrap_or_else(|e| {
        eprintln!("stripe-sim: {e}");
        std::process::exit(1);
    });
    println!("stripe-sim listening on http://{}", sim.addr());
    sim.join();
}

fn usage(what: &str) -> ! {
    eprintln!(
        "stripe-sim: bad argument {what}\nusage: settle-stripe-sim [--port N] --webhook-base URL --webhook-secret S \
         [--platform-key K] [--debit-delay-ms N] [--delay-ms N] [--duplicate] [--reverse]"
    );
    std::process::exit(2);
}
