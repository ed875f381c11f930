//! `settle-mail-sim --port N`: runs the email API stand-in until killed.
//!
//! With `MAIL_SIM_WEBHOOK_URL` and `MAIL_SIM_WEBHOOK_SECRET` (`whsec_…`) set,
//! it also sends signed delivery events to that URL.

use settle_mail_sim::{MailSim, WebhookTarget};

fn main() {
    let mut port = 0u16;
    let mut args = std::env::args();
    args.next(); // the program itself
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0),
            other => {
                eprintln!("unknown argument {other}; usage: settle-mail-sim [--port N]");
                std::process::exit(2);
            }
        }
    }
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let webhook = match (var("MAIL_SIM_WEBHOOK_URL"), var("MAIL_SIM_WEBHOOK_SECRET")) {
        (None, None) => None,
        (Some(url), Some(secret)) => Some(WebhookTarget { url, secret }),
        _ => {
            eprintln!(
                "mail-sim: set both MAIL_SIM_WEBHOOK_URL and MAIL_SIM_WEBHOOK_SECRET, or neither"
            );
            std::process::exit(2);
        }
    };
    let events_to = webhook.as_ref().map(|w| w.url.clone());
    let sim = MailSim::start_with(port, webhook).unwrap_or_else(|e| {
        if e.kind() == std::io::ErrorKind::InvalidInput {
            eprintln!("mail-sim: {e}");
            std::process::exit(2);
        }
        eprintln!("mail-sim: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    println!("mail-sim listening on http://{}", sim.addr());
    if let Some(url) = events_to {
        println!("mail-sim sends delivery events to {url}");
    }
    sim.join();
}
