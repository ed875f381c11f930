//! `cargo xtask dev`: the whole product on 127.0.0.1 with a demo company.

use crate::stack::{Options, Stack, remove_dir};
use crate::{Result, build, root, seed, tools};

pub fn run(args: &[String]) -> Result<()> {
    let mut reset = false;
    let mut port = Some(8787);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reset" => reset = true,
            "--port" => {
                port = Some(
                    it.next()
                        .and_then(|p| p.parse().ok())
                        .ok_or("--port needs a number")?,
                )
            }
            other => return Err(format!("unknown option {other}; try --reset or --port N")),
        }
    }
    if let Some(p) = port
        && std::net::TcpListener::bind(("127.0.0.1", p)).is_err()
    {
        println!("port {p} is busy; using a free one");
        port = None;
    }
    let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    let mail_port = free(8025).then_some(8025);
    let stripe_port = free(12111).then_some(12111);
    let t = tools::ensure(false)?;
    build::all(&t)?;
    let state = root().join(".settle/dev");
    if reset {
        remove_dir(&state)?;
    }
    let stack = Stack::start(
        &t,
        Options {
            port,
            mail_port,
            stripe_port,
            state_dir: state.clone(),
            log_dir: None,
        },
    )?;
    let demo = seed::demo(&stack, &state.join("demo.json"))?;

    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;

    println!("\n────────────────────────────────────────────────────────────────");
    println!(" Settle is running on {}", stack.base_url);
    println!("\n Customer portal links (demo company Northwind Supplies):");
    for c in &demo.customers {
        println!("   {:<16} {:<6} {}", c.name, c.locale, c.link);
    }
    println!("\n Local outbox (emails Settle sends):  {}", stack.mail_url);
    println!(
        " Stripe stand-in (test mode):          {}",
        stack.stripe_url
    );
    println!(
        "   pay with card 4242 4242 4242 4242; 4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has no funds\n   \
         saved for later (\"Pay automatically\"): 4242… is charged, 4000 0000 0000 0341 is declined, 4000 0027 6000 3184 needs authentication"
    );
    println!(
        " Company API:                          {}/api/v1/  (see docs/API.md)",
        stack.base_url
    );
    println!(" Demo API key:                         {}", demo.api_key);
    println!(
        "\n Console: {}/console/  (sign in by email link; each link works once, for 15 minutes)",
        stack.base_url
    );
    let links = seed::sign_in_links(&stack, &demo);
    for (m, link) in &links {
        println!("   {:<10} {:<30} {link}", m.role, m.email);
    }
    if links.len() < demo.members.len() {
        println!(
            "   for another link: open {}/console/sign-in, enter {}, and open the email in the outbox",
            stack.base_url,
            demo.members
                .iter()
                .map(|m| m.email.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    println!(
        "\n Try:  curl -H 'Authorization: Bearer {}' {}/api/v1/invoices",
        demo.api_key, stack.base_url
    );
    let clock = crate::clock::Operator::new(&stack.base_url, &demo.organization_id)
        .now()
        .ok()
        .and_then(|v| v["now"].as_str().map(str::to_owned))
        .unwrap_or_default();
    println!(
        "\n Demo clock: {clock}. In another terminal, `cargo xtask clock +3d` moves it\n three days on, an hour at a time: the cron sends the reminders the demo\n policy predicts, at 09:00 in each customer's time zone, to the outbox."
    );
    println!(
        "\n Ctrl-C stops everything. `cargo xtask dev --reset` starts from an empty database."
    );
    println!("────────────────────────────────────────────────────────────────");
    let _ = rx.recv();
    println!("\nstopping…");
    drop(stack);
    Ok(())
}
