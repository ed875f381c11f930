//! `settle-mail-sim --port N`: runs the email API stand-in until killed.

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
    let sim = settle_mail_sim::MailSim::start(port).unwrap_or_else(|e| {
        eprintln!("mail-sim: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    println!("mail-sim listening on http://{}", sim.addr());
    sim.join();
}
