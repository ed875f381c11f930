//! Replies by email. Every email Settle sends to a customer carries a
//! reply-to address that names it: `reply+<email id>-<tag>@<reply domain>`,
//! where the tag is an HMAC of the email id under the deployment's token
//! secret, so an address cannot be made up for another customer's email.
//! The provider (Resend's inbound mail) announces a reply with an
//! `email.received` event (Svix-signed, like delivery events, see
//! [`super::webhook`]); its body is then fetched from the received-emails
//! API (`GET /emails/receiving/{id}`).
//!
//! Everything here is pure: the address, reading the event and the email,
//! and what the thread shows of a reply ([`trim`]: without the quoted
//! history and the signature; the whole text stays on record).

use crate::security::constant_time_eq;
use hmac::{Hmac, Mac};
use serde_json::Value;
use settle_shared::dispute::{MAX_MESSAGE_CHARS, MessageProblem, check_message};
use sha2::Sha256;

/// The tag's length in hex digits (80 bits): the local part stays within
/// the 64 characters mail allows (`reply+` 6, id 36, `-` 1, tag 20).
const TAG_HEX: usize = 20;

fn tag(secret: &str, email_id: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(b"settle-reply:");
    m.update(email_id.as_bytes());
    hex::encode(m.finalize().into_bytes())[..TAG_HEX].to_owned()
}

/// The reply-to address of the email `email_id`.
pub fn reply_address(secret: &str, email_id: &str, domain: &str) -> String {
    format!("reply+{email_id}-{}@{domain}", tag(secret, email_id))
}

/// The email a reply answers: the id named by one of the addresses it was
/// sent to, if that address's tag is right and it is at `domain`. Display
/// names (`"Acme" <reply+…@…>`) and letter case are allowed for.
pub fn replied_email(secret: &str, to: &[String], domain: &str) -> Option<String> {
    to.iter().find_map(|addr| {
        let addr = match (addr.rfind('<'), addr.rfind('>')) {
            (Some(a), Some(b)) if a < b => &addr[a + 1..b],
            _ => addr.as_str(),
        };
        let (local, host) = addr.trim().rsplit_once('@')?;
        if !host.eq_ignore_ascii_case(domain) {
            return None;
        }
        let named = local.to_ascii_lowercase();
        let (id, given) = named.strip_prefix("reply+")?.rsplit_once('-')?;
        let want = tag(secret, id);
        constant_time_eq(given.as_bytes(), want.as_bytes()).then(|| id.to_owned())
    })
}

/// An `email.received` event: which received email, from whom, to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The provider's id of the received email.
    pub email_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
}

/// Reads an `email.received` event (`None` for any other event type).
pub fn received(body: &[u8]) -> Option<Received> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v["type"].as_str() != Some("email.received") {
        return None;
    }
    let d = &v["data"];
    Some(Received {
        email_id: d["email_id"].as_str()?.to_owned(),
        from: d["from"].as_str().unwrap_or_default().to_owned(),
        to: super::webhook::addresses(&d["to"]),
        subject: d["subject"].as_str().unwrap_or_default().to_owned(),
    })
}

/// The text of a received email (from the received-emails API's answer):
/// its plain-text part, or its HTML part as text when it has none.
pub fn text_of(answer: &str) -> Option<String> {
    let v: Value = serde_json::from_str(answer).ok()?;
    match (v["text"].as_str(), v["html"].as_str()) {
        (Some(t), _) if !t.trim().is_empty() => Some(t.to_owned()),
        (_, Some(h)) => Some(html_to_text(h)),
        _ => Some(String::new()),
    }
}

/// HTML as the text a reader sees: scripts, styles and comments dropped,
/// breaks and block ends as new lines, other tags dropped, the common
/// entities decoded. The result is shown as text, never as markup.
pub fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i..];
            // Whole elements whose content is not text.
            let skip_to = ["script", "style", "head", "title"]
                .iter()
                .find(|t| {
                    rest[1..].starts_with(*t)
                        && rest[1 + t.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c == '>' || c.is_whitespace())
                })
                .map(|t| format!("</{t}"));
            if let Some(end) = skip_to {
                match rest.find(&end) {
                    Some(e) => {
                        i += e;
                        match lower[i..].find('>') {
                            Some(g) => i += g + 1,
                            None => break,
                        }
                        continue;
                    }
                    None => break,
                }
            }
            if rest.starts_with("<!--") {
                match rest.find("-->") {
                    Some(e) => i += e + 3,
                    None => break,
                }
                continue;
            }
            let Some(close) = rest.find('>') else { break };
            let tag_name: String = rest[1..close]
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if matches!(
                tag_name.as_str(),
                "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "blockquote"
            ) {
                out.push('\n');
            }
            i += close + 1;
            continue;
        }
        let next = html[i..].find('<').map_or(html.len(), |n| i + n);
        out.push_str(&decode(&html[i..next]));
        i = next;
    }
    out
}

fn decode(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Whether a line begins the quoted history of a reply: an attribution
/// ("On … wrote:", "Le … a écrit :"), an Outlook header block or rule, or
/// a forwarded-message marker.
fn starts_history(line: &str, next: Option<&str>) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    let attribution = |s: &str| {
        (s.starts_with("on ") && s.ends_with("wrote:"))
            || (s.starts_with("le ") && (s.ends_with("a écrit :") || s.ends_with("a écrit:")))
            || (s.starts_with("am ") && s.ends_with("schrieb:"))
            || (s.starts_with("el ") && s.ends_with("escribió:"))
    };
    if attribution(&lower) {
        return true;
    }
    // "On Mon, 3 Dec 2026 at 10:00, Acme <…>" / "wrote:" over two lines.
    if let Some(n) = next {
        let joined = format!("{lower} {}", n.trim().to_lowercase());
        if (lower.starts_with("on ") || lower.starts_with("le ")) && attribution(&joined) {
            return true;
        }
    }
    lower.starts_with("-----original message-----")
        || lower.starts_with("----- original message -----")
        || lower.starts_with("-------- forwarded message")
        || lower.starts_with("---------- forwarded message")
        || (l.len() >= 20 && l.chars().all(|c| c == '_'))
        || ((lower.starts_with("from:") || lower.starts_with("de :") || lower.starts_with("de:"))
            && next.is_some_and(|n| {
                let n = n.trim().to_lowercase();
                [
                    "sent:",
                    "date:",
                    "to:",
                    "envoyé :",
                    "à :",
                    "subject:",
                    "objet :",
                ]
                .iter()
                .any(|h| n.starts_with(h))
            }))
}

/// Whether a line begins a signature: the standard `-- ` delimiter, or a
/// phone's "Sent from my …".
fn starts_signature(line: &str) -> bool {
    let lower = line.trim_end().to_lowercase();
    lower == "--"
        || lower == "-- "
        || lower.starts_with("sent from my ")
        || lower.starts_with("envoyé de mon ")
        || lower.starts_with("get outlook for ")
}

/// What a thread shows of a reply: the text above the quoted history and
/// the signature, with `>`-quoted lines left out. A reply that is nothing
/// but quotation shows whole.
pub fn trim(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if starts_history(line, lines.get(i + 1).copied()) || starts_signature(line) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    let shown = kept.join("\n").trim().to_owned();
    if shown.is_empty() {
        text.trim().to_owned()
    } else {
        shown
    }
}

/// The longest reply kept on record whole, in characters.
pub const MAX_REPLY_CHARS: usize = 100_000;

/// A reply as a thread message: what the thread shows (trimmed, at most
/// [`MAX_MESSAGE_CHARS`] characters) and, when that is less than was sent,
/// the whole text (at most [`MAX_REPLY_CHARS`]). `None`: nothing was said.
pub fn message(text: &str) -> Option<(String, Option<String>)> {
    let whole: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .take(MAX_REPLY_CHARS)
        .collect();
    let whole = whole.trim().to_owned();
    if whole.is_empty() {
        return None;
    }
    let shown = trim(&whole);
    let shown = match check_message(&shown) {
        Ok(s) => s,
        Err(MessageProblem::TooLong) => {
            let cut: String = shown.chars().take(MAX_MESSAGE_CHARS - 1).collect();
            format!("{}…", cut.trim_end())
        }
        Err(MessageProblem::Empty) => return None,
    };
    let full = (shown != whole).then_some(whole);
    Some((shown, full))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test-token-secret";

    #[test]
    fn a_reply_address_names_its_email_and_cannot_be_forged() {
        let id = "eml_0190a1b2c3d4e5f60718293a4b5c6d7e";
        let a = reply_address(SECRET, id, "reply.settle.test");
        let local = a.split('@').next().unwrap();
        assert!(local.len() <= 64, "{a}");
        assert_eq!(
            replied_email(SECRET, std::slice::from_ref(&a), "reply.settle.test").as_deref(),
            Some(id)
        );
        // Quoted with a display name, in capitals: still the same.
        let shown = format!(
            "\"Acme billing\" <{}>",
            a.to_uppercase()
                .replace("REPLY.SETTLE.TEST", "Reply.Settle.Test")
        );
        assert_eq!(
            replied_email(SECRET, &[shown], "reply.settle.test").as_deref(),
            Some(id)
        );
        // Another email's id under this tag, another domain, another
        // secret, no tag: nothing.
        let other = a.replace("eml_0190", "eml_0191");
        assert_eq!(replied_email(SECRET, &[other], "reply.settle.test"), None);
        assert_eq!(
            replied_email(SECRET, std::slice::from_ref(&a), "evil.test"),
            None
        );
        assert_eq!(replied_email("another", &[a], "reply.settle.test"), None);
        let bare = format!("reply+{id}@reply.settle.test");
        assert_eq!(replied_email(SECRET, &[bare], "reply.settle.test"), None);
    }

    #[test]
    fn the_event_and_the_email_are_read_as_resend_sends_them() {
        let event = br#"{"type":"email.received","created_at":"2026-12-05T10:00:00.000Z",
            "data":{"email_id":"56761188-7520-42d8-8898-ff6fc54ce618","created_at":"2026-12-05T10:00:00Z",
            "from":"Dora <dora@example.com>","to":["reply+eml_1-abc@reply.settle.test"],"bcc":[],"cc":[],
            "message_id":"<x@y>","subject":"Re: Invoice INV-1","attachments":[]}}"#;
        let r = received(event).unwrap();
        assert_eq!(r.email_id, "56761188-7520-42d8-8898-ff6fc54ce618");
        assert_eq!(r.to, vec!["reply+eml_1-abc@reply.settle.test".to_owned()]);
        assert_eq!(r.subject, "Re: Invoice INV-1");
        assert_eq!(received(br#"{"type":"email.delivered","data":{}}"#), None);
        assert_eq!(
            text_of(r#"{"object":"email","text":"Paid yesterday.","html":"<p>x</p>"}"#).as_deref(),
            Some("Paid yesterday.")
        );
        assert_eq!(
            text_of(r#"{"text":null,"html":"<p>Paid&nbsp;it &amp; more</p><script>alert(1)</script><p>Bye</p>"}"#)
                .as_deref(),
            Some("\nPaid it & more\n\nBye\n")
        );
    }

    #[test]
    fn html_becomes_text_and_markup_in_it_stays_characters() {
        let t = html_to_text(
            "<div>&lt;script&gt;alert(1)&lt;/script&gt;</div><!-- x --><style>p{}</style>ok<br>",
        );
        assert_eq!(t, "\n<script>alert(1)</script>\nok\n");
        assert_eq!(html_to_text("<img src=x onerror=alert(1)>hi"), "hi");
        assert_eq!(html_to_text("unclosed <b"), "unclosed ");
    }

    #[test]
    fn a_reply_becomes_a_message_with_its_whole_text_on_record() {
        let (shown, full) = message("Paid.\n\nOn Mon, Acme wrote:\n> due").unwrap();
        assert_eq!(shown, "Paid.");
        assert_eq!(full.as_deref(), Some("Paid.\n\nOn Mon, Acme wrote:\n> due"));
        assert_eq!(message("Just this.").unwrap(), ("Just this.".into(), None));
        assert_eq!(message("  \n\u{0}  "), None);
        let long = "a".repeat(MAX_MESSAGE_CHARS + 10);
        let (shown, full) = message(&long).unwrap();
        assert_eq!(shown.chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(full.unwrap().len(), MAX_MESSAGE_CHARS + 10);
        // Script in a reply is kept as the characters it is.
        let (shown, _) = message("<script>alert(1)</script> <img src=x onerror=alert(1)>").unwrap();
        assert_eq!(
            shown,
            "<script>alert(1)</script> <img src=x onerror=alert(1)>"
        );
    }

    #[test]
    fn quoted_history_and_signatures_are_trimmed() {
        let gmail = "Paid it yesterday, see the transfer.\n\nOn Thu, 3 Dec 2026 at 09:00, Acme <reply+x@r.test> wrote:\n> Invoice INV-1 is due.\n> Pay here";
        assert_eq!(trim(gmail), "Paid it yesterday, see the transfer.");
        let wrapped = "Yes.\r\n\r\nOn Thu, 3 Dec 2026 at 09:00, Acme Billing\r\n<reply+x@r.test> wrote:\r\n> old";
        assert_eq!(trim(wrapped), "Yes.");
        let outlook = "We never got the goods.\n\n________________________________\nFrom: Acme\nSent: Thursday\nSubject: Invoice";
        assert_eq!(trim(outlook), "We never got the goods.");
        let outlook2 = "Wrong amount.\nFrom: Acme <billing@acme.test>\nSent: Thursday";
        assert_eq!(trim(outlook2), "Wrong amount.");
        let french = "Déjà payé.\n\nLe jeu. 3 déc. 2026 à 09:00, Acme <x@y> a écrit :\n> Relance";
        assert_eq!(trim(french), "Déjà payé.");
        let signed = "Will pay Friday.\n-- \nDora Smith\nCFO";
        assert_eq!(trim(signed), "Will pay Friday.");
        let phone = "ok\n\nSent from my iPhone";
        assert_eq!(trim(phone), "ok");
        // Inline answers keep the answers, not the quotes.
        let inline = "> Amount due: 100\nIt should be 80.\n> Due date\nFine.";
        assert_eq!(trim(inline), "It should be 80.\nFine.");
        // All quotation: shown whole rather than empty.
        assert_eq!(trim("> only quoted"), "> only quoted");
        // "From:" in the middle of a sentence is text.
        assert_eq!(trim("From: me, thanks.\nBye"), "From: me, thanks.\nBye");
    }
}
