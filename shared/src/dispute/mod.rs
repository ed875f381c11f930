//! Disputes: what a customer may say is wrong with an invoice, how much of
//! it that holds, how a thread's messages are checked and shown, and how a
//! dispute moves from open to resolved or rejected (and back, once).
//!
//! Both sides use these rules: the worker to decide, the portal and the
//! console to say beforehand what the worker would refuse.

use crate::ErrorCode;
use crate::text::FieldError;
use serde::{Deserialize, Serialize};

mod away;
mod files;

pub use away::{AWAY_EMAIL_DELAY_MS, away_email_due, away_email_key, last_there};
pub use files::{FileProblem, FileType, MAX_ATTACHMENT_BYTES, file_name, sniff_file};

/// Why the customer says the invoice is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NotReceived,
    WrongAmount,
    WrongItems,
    Quality,
    AlreadyPaid,
    Duplicate,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Reason::NotReceived,
        Reason::WrongAmount,
        Reason::WrongItems,
        Reason::Quality,
        Reason::AlreadyPaid,
        Reason::Duplicate,
        Reason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotReceived => "not_received",
            Reason::WrongAmount => "wrong_amount",
            Reason::WrongItems => "wrong_items",
            Reason::Quality => "quality",
            Reason::AlreadyPaid => "already_paid",
            Reason::Duplicate => "duplicate",
            Reason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The customer says what they expected to pay.
    pub fn needs_expected_amount(self) -> bool {
        self == Reason::WrongAmount
    }
}

/// What the customer disputes: the whole invoice or some of its lines
/// (numbered from 1, as the invoice shows them), and for a wrong amount,
/// what they expected to pay for that part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim<'a> {
    pub reason: Reason,
    pub lines: Option<&'a [u32]>,
    pub expected_amount: Option<i64>,
}

/// The amount in dispute, in minor units of the invoice's currency: the
/// part the reminders hold back and that the customer need not pay yet.
/// `line_totals` are the invoice's lines (tax included), `due` what is left
/// to pay. Refused with the field at fault.
pub fn disputed_amount(c: &Claim<'_>, line_totals: &[i64], due: i64) -> Result<i64, FieldError> {
    let base = match c.lines {
        None => line_totals.iter().sum::<i64>(),
        Some([]) => {
            return Err(FieldError::invalid(
                "lines",
                "names no line: name at least one, or leave it out to dispute the whole invoice",
            ));
        }
        Some(lines) => {
            let mut seen = Vec::new();
            let mut sum = 0;
            for &n in lines {
                let Some(total) = (n as usize).checked_sub(1).and_then(|i| line_totals.get(i))
                else {
                    return Err(FieldError::invalid(
                        "lines",
                        format!(
                            "names line {n}, but the invoice has lines 1 to {}",
                            line_totals.len()
                        ),
                    ));
                };
                if seen.contains(&n) {
                    return Err(FieldError::invalid(
                        "lines",
                        format!("names line {n} twice"),
                    ));
                }
                seen.push(n);
                sum += total;
            }
            sum
        }
    };
    let disputed = match (c.reason.needs_expected_amount(), c.expected_amount) {
        (true, None) => {
            return Err(FieldError::new(
                ErrorCode::MissingField,
                "expected_amount",
                "is needed with wrong_amount: what you expected to pay, in minor units",
            ));
        }
        (true, Some(e)) if e < 0 || e >= base => {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                "expected_amount",
                format!("must be from 0 to less than the amount disputed, {base} minor units"),
            ));
        }
        (true, Some(e)) => base - e,
        (false, Some(_)) => {
            return Err(FieldError::invalid(
                "expected_amount",
                "goes only with the reason wrong_amount",
            ));
        }
        (false, None) => base,
    };
    Ok(disputed.clamp(0, due.max(0)))
}

/// What the customer may still pay while part of the invoice is disputed.
pub fn undisputed(due: i64, disputed: i64) -> i64 {
    (due - disputed.max(0)).max(0)
}

/// The longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Why a message is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageProblem {
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {MAX_MESSAGE_CHARS} characters")]
    TooLong,
}

impl MessageProblem {
    pub fn code(self) -> ErrorCode {
        match self {
            MessageProblem::Empty => ErrorCode::InvalidField,
            MessageProblem::TooLong => ErrorCode::StringTooLong,
        }
    }
}

/// A message as it is kept: trimmed, line breaks as `\n`, NULs and other
/// invisible control characters (but tabs and line breaks) left out. The
/// text is otherwise kept exactly; it is shown as text, never as markup.
pub fn check_message(text: &str) -> Result<String, MessageProblem> {
    let kept: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let kept = kept.trim();
    if kept.is_empty() {
        return Err(MessageProblem::Empty);
    }
    if kept.chars().count() > MAX_MESSAGE_CHARS {
        return Err(MessageProblem::TooLong);
    }
    Ok(kept.to_owned())
}

/// Text as a thread shows it: the characters that reorder the text around
/// them (bidirectional overrides, embeddings and isolates) are shown as
/// their code, so a message cannot disguise what it says or where it ends.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            out.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Resolved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "open" => Status::Open,
            "resolved" => Status::Resolved,
            "rejected" => Status::Rejected,
            _ => return None,
        })
    }
}

/// What someone does to a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The company resolves it (a credit note, a corrected invoice, or
    /// simply settled).
    Resolve,
    /// The company rejects it, with a reason the customer sees.
    Reject,
    /// The customer contests a rejection.
    Reopen,
    /// Someone writes in the thread.
    Message,
}

/// Why a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    #[error("the dispute is {0}; only an open dispute is resolved or rejected")]
    NotOpen(&'static str),
    #[error("only a rejected dispute can be reopened")]
    NotRejected,
    #[error("a rejected dispute can be reopened once, and this one was")]
    ReopenedAlready,
    #[error("the dispute is resolved; open a new one if something else is wrong")]
    Closed,
}

/// The status after `step`, or why it is refused. A rejected dispute may
/// still be written in (the customer explains, the company answers) and
/// reopened once; a resolved one is closed.
pub fn next(status: Status, reopened: u32, step: Step) -> Result<Status, StepRefusal> {
    match (status, step) {
        (Status::Open, Step::Resolve) => Ok(Status::Resolved),
        (Status::Open, Step::Reject) => Ok(Status::Rejected),
        (s, Step::Resolve | Step::Reject) => Err(StepRefusal::NotOpen(s.as_str())),
        (Status::Rejected, Step::Reopen) if reopened == 0 => Ok(Status::Open),
        (Status::Rejected, Step::Reopen) => Err(StepRefusal::ReopenedAlready),
        (_, Step::Reopen) => Err(StepRefusal::NotRejected),
        (Status::Resolved, Step::Message) => Err(StepRefusal::Closed),
        (s, Step::Message) => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(reason: Reason, lines: Option<&[u32]>, expected: Option<i64>) -> Claim<'_> {
        Claim {
            reason,
            lines,
            expected_amount: expected,
        }
    }

    #[test]
    fn the_disputed_amount_is_the_part_named_up_to_what_is_due() {
        let lines = [1_000, 2_500, 500];
        assert_eq!(
            disputed_amount(&claim(Reason::NotReceived, None, None), &lines, 4_000),
            Ok(4_000)
        );
        assert_eq!(
            disputed_amount(&claim(Reason::WrongItems, Some(&[2]), None), &lines, 4_000),
            Ok(2_500)
        );
        assert_eq!(
            disputed_amount(&claim(Reason::Quality, Some(&[1, 3]), None), &lines, 4_000),
            Ok(1_500)
        );
        // Part paid already: no more than is due.
        assert_eq!(
            disputed_amount(&claim(Reason::NotReceived, None, None), &lines, 700),
            Ok(700)
        );
        // A wrong amount: the difference from what they expected.
        assert_eq!(
            disputed_amount(
                &claim(Reason::WrongAmount, None, Some(3_000)),
                &lines,
                4_000
            ),
            Ok(1_000)
        );
        assert_eq!(
            disputed_amount(
                &claim(Reason::WrongAmount, Some(&[2]), Some(2_000)),
                &lines,
                4_000
            ),
            Ok(500)
        );
    }

    #[test]
    fn a_claim_that_does_not_fit_the_invoice_names_its_field() {
        let lines = [1_000, 2_500];
        let field = |c: Claim<'_>| disputed_amount(&c, &lines, 3_500).unwrap_err().field;
        assert_eq!(field(claim(Reason::WrongItems, Some(&[]), None)), "lines");
        assert_eq!(field(claim(Reason::WrongItems, Some(&[3]), None)), "lines");
        assert_eq!(field(claim(Reason::WrongItems, Some(&[0]), None)), "lines");
        assert_eq!(
            field(claim(Reason::WrongItems, Some(&[1, 1]), None)),
            "lines"
        );
        assert_eq!(
            field(claim(Reason::WrongAmount, None, None)),
            "expected_amount"
        );
        assert_eq!(
            field(claim(Reason::WrongAmount, None, Some(3_500))),
            "expected_amount"
        );
        assert_eq!(
            field(claim(Reason::WrongAmount, None, Some(-1))),
            "expected_amount"
        );
        assert_eq!(
            field(claim(Reason::Duplicate, None, Some(10))),
            "expected_amount"
        );
        let missing =
            disputed_amount(&claim(Reason::WrongAmount, None, None), &lines, 3_500).unwrap_err();
        assert_eq!(missing.code, ErrorCode::MissingField);
    }

    #[test]
    fn the_undisputed_part_is_what_is_due_beyond_the_dispute() {
        assert_eq!(undisputed(9_500, 4_500), 5_000);
        assert_eq!(undisputed(9_500, 9_500), 0);
        assert_eq!(undisputed(3_000, 4_500), 0);
        assert_eq!(undisputed(3_000, -1), 3_000);
    }

    #[test]
    fn reasons_have_stable_names() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(Reason::parse("fraud"), None);
    }

    #[test]
    fn messages_are_kept_as_text_within_their_limit() {
        assert_eq!(
            check_message("  hello\r\nthere \0 "),
            Ok("hello\nthere".into())
        );
        assert_eq!(check_message(" \n\t "), Err(MessageProblem::Empty));
        assert_eq!(
            check_message(&"é".repeat(MAX_MESSAGE_CHARS)).map(|m| m.chars().count()),
            Ok(MAX_MESSAGE_CHARS)
        );
        assert_eq!(
            check_message(&"é".repeat(MAX_MESSAGE_CHARS + 1)),
            Err(MessageProblem::TooLong)
        );
        // Markup is text: kept as it was typed.
        let xss = "<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3)";
        assert_eq!(check_message(xss), Ok(xss.into()));
    }

    #[test]
    fn reordering_characters_are_shown_as_their_code() {
        assert_eq!(shown("pay \u{202E}gnp.exe"), "pay [U+202E]gnp.exe");
        assert_eq!(shown("a\u{2066}b\u{2069}"), "a[U+2066]b[U+2069]");
        assert_eq!(shown("مرحبا hello"), "مرحبا hello");
    }

    #[test]
    fn a_dispute_is_resolved_or_rejected_once_and_reopened_once() {
        assert_eq!(next(Status::Open, 0, Step::Resolve), Ok(Status::Resolved));
        assert_eq!(next(Status::Open, 0, Step::Reject), Ok(Status::Rejected));
        assert_eq!(next(Status::Rejected, 0, Step::Reopen), Ok(Status::Open));
        assert_eq!(
            next(Status::Rejected, 1, Step::Reopen),
            Err(StepRefusal::ReopenedAlready)
        );
        assert_eq!(
            next(Status::Open, 0, Step::Reopen),
            Err(StepRefusal::NotRejected)
        );
        assert_eq!(
            next(Status::Resolved, 0, Step::Reject),
            Err(StepRefusal::NotOpen("resolved"))
        );
        assert_eq!(
            next(Status::Rejected, 0, Step::Message),
            Ok(Status::Rejected)
        );
        assert_eq!(
            next(Status::Resolved, 0, Step::Message),
            Err(StepRefusal::Closed)
        );
    }
}
