//! Reminder (dunning) settings as the API carries them: policies of steps
//! relative to the due date, segments that pick a policy, and the send
//! window. Each request type has a `validate` that names the field at fault.

use crate::decimal::Milli;
use crate::error::ErrorCode;
use crate::money::Money;
use crate::text::FieldError;
use serde::{Deserialize, Serialize};

/// How a reminder speaks. A combined email takes the firmest tone of its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Friendly,
    Firm,
    Final,
}

impl Tone {
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Friendly => "friendly",
            Tone::Firm => "firm",
            Tone::Final => "final",
        }
    }
}

/// Something done when a step is sent, besides the email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Add the organization's late fee to the invoice (when it has one).
    LateFee,
    /// Put the account on the agents' list.
    FlagAccount,
    /// Stop the customer from starting self-service payment plans.
    StopPaymentPlans,
}

impl StepAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StepAction::LateFee => "late_fee",
            StepAction::FlagAccount => "flag_account",
            StepAction::StopPaymentPlans => "stop_payment_plans",
        }
    }
}

/// One step of a policy: `offset_days` after the due date (negative: before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderStep {
    pub offset_days: i32,
    pub tone: Tone,
    /// A template key: `friendly`, `firm`, `final`, or one of the
    /// organization's own templates. The tone's template when absent.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub actions: Vec<StepAction>,
}

impl ReminderStep {
    /// The template this step renders.
    pub fn template_key(&self) -> &str {
        self.template.as_deref().unwrap_or(self.tone.as_str())
    }
}

/// Limits of a policy.
pub const MAX_STEPS: usize = 12;
pub const MIN_OFFSET: i32 = -60;
pub const MAX_OFFSET: i32 = 365;

/// `POST /api/v1/reminder-policies`, `PUT /api/v1/reminder-policies/{id}`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    pub name: String,
    pub steps: Vec<ReminderStep>,
}

impl PolicyRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        crate::text::bounded("name", &self.name, crate::text::limits::NAME)?;
        validate_steps(&self.steps)
    }
}

/// Steps: 1 to 12, offsets between −60 and 365 days, strictly increasing
/// (two steps on one day would be one email), template keys well formed.
pub fn validate_steps(steps: &[ReminderStep]) -> Result<(), FieldError> {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return Err(FieldError::invalid(
            "steps",
            format!("a policy has between 1 and {MAX_STEPS} steps"),
        ));
    }
    let mut previous: Option<i32> = None;
    for (i, s) in steps.iter().enumerate() {
        let field = format!("steps[{i}].offset_days");
        if !(MIN_OFFSET..=MAX_OFFSET).contains(&s.offset_days) {
            return Err(FieldError::invalid(
                field,
                format!("must be between {MIN_OFFSET} and {MAX_OFFSET} days from the due date"),
            ));
        }
        if previous.is_some_and(|p| p >= s.offset_days) {
            return Err(FieldError::invalid(
                field,
                "steps must be in order, each on a later day than the one before",
            ));
        }
        previous = Some(s.offset_days);
        if let Some(t) = &s.template {
            template_key(&format!("steps[{i}].template"), t)?;
        }
        let mut seen = Vec::new();
        for a in &s.actions {
            if seen.contains(a) {
                return Err(FieldError::invalid(
                    format!("steps[{i}].actions"),
                    format!("{} is listed twice", a.as_str()),
                ));
            }
            seen.push(*a);
        }
    }
    Ok(())
}

/// A template key: 1 to 40 of `a-z`, `0-9`, `_`, `-`.
pub fn template_key(field: &str, key: &str) -> Result<(), FieldError> {
    let ok = !key.is_empty()
        && key.len() <= 40
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::invalid(
            field,
            "must be 1 to 40 characters of a-z, 0-9, _ and -",
        ))
    }
}

/// A reminder policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PolicyResponse {
    pub id: String,
    pub name: String,
    pub steps: Vec<ReminderStep>,
    /// Used for customers in no segment.
    pub is_default: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Which customers a segment takes. Every rule given must hold; an empty
/// rule set takes everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRules {
    /// The customer has at least one of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags_any: Vec<String>,
    /// The invoice's balance is at least this (same currency only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Money>,
    /// The invoice is at least this many days past due (negative: before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days_overdue: Option<i32>,
    /// The customer paid at least this many invoices late in the last 12 months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_late_payments_12m: Option<u32>,
}

impl SegmentRules {
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.tags_any.len() > 20 {
            return Err(FieldError::invalid("rules.tags_any", "at most 20 tags"));
        }
        for t in &self.tags_any {
            tag("rules.tags_any", t)?;
        }
        if let Some(m) = self.min_amount
            && m.amount < 0
        {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                "rules.min_amount",
                "must not be negative",
            ));
        }
        if let Some(d) = self.min_days_overdue
            && !(-365..=3650).contains(&d)
        {
            return Err(FieldError::invalid(
                "rules.min_days_overdue",
                "must be between -365 and 3650",
            ));
        }
        if let Some(n) = self.min_late_payments_12m
            && n > 1000
        {
            return Err(FieldError::invalid(
                "rules.min_late_payments_12m",
                "must be at most 1000",
            ));
        }
        Ok(())
    }
}

/// A customer tag: 1 to 40 characters of letters, digits, `_`, `-`, `:`.
pub fn tag(field: &str, t: &str) -> Result<(), FieldError> {
    let ok = !t.is_empty()
        && t.chars().count() <= 40
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == ':');
    if ok {
        Ok(())
    } else {
        Err(FieldError::invalid(
            field,
            format!("\"{t}\" is not a tag: use 1 to 40 letters, digits, _, - or :"),
        ))
    }
}

/// `POST /api/v1/segments`, `PUT /api/v1/segments/{id}`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRequest {
    pub name: String,
    /// Lower is tried first.
    pub priority: i32,
    #[serde(default)]
    pub rules: SegmentRules,
    pub policy_id: String,
    /// Early-payment terms for the segment's invoices that have none of
    /// their own ("2 % off if paid within 10 days").
    #[serde(default)]
    pub early_payment: Option<crate::invoice::discount::EarlyPayment>,
}

impl SegmentRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        crate::text::bounded("name", &self.name, crate::text::limits::NAME)?;
        if !(0..=10_000).contains(&self.priority) {
            return Err(FieldError::invalid(
                "priority",
                "must be between 0 and 10000",
            ));
        }
        if let Some(terms) = &self.early_payment {
            terms
                .validate()
                .map_err(|(field, why)| FieldError::invalid(field, why))?;
        }
        self.rules.validate()
    }
}

/// A segment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SegmentResponse {
    pub id: String,
    pub name: String,
    pub priority: i32,
    pub rules: SegmentRules,
    pub policy_id: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_payment: Option<crate::invoice::discount::EarlyPayment>,
}

/// When reminders may go out, in each customer's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    /// `HH:MM`, local time of the customer; default `09:00`.
    pub window_start: String,
    /// `HH:MM`, exclusive; default `17:00`.
    pub window_end: String,
    /// Days reminders may go out: `mon` … `sun`; default Monday to Friday.
    pub days: Vec<String>,
    /// The organization's holidays (`YYYY-MM-DD`), skipped when `skip_holidays`.
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub skip_holidays: bool,
    /// A blind copy of every reminder goes here, as proof of sending.
    #[serde(default)]
    pub bcc: Option<String>,
    /// Percent of the balance added by a step with `late_fee`; none when absent.
    #[serde(default)]
    pub late_fee_percent: Option<Milli>,
    /// Send each customer a monthly statement of open items.
    #[serde(default = "yes")]
    pub monthly_statement: bool,
}

fn yes() -> bool {
    true
}

pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            window_start: "09:00".into(),
            window_end: "17:00".into(),
            days: DAY_NAMES[..5].iter().map(|d| (*d).into()).collect(),
            holidays: Vec::new(),
            skip_holidays: false,
            bcc: None,
            late_fee_percent: None,
            monthly_statement: true,
        }
    }
}

/// `HH:MM` as minutes after midnight; `24:00` is allowed as an end.
pub fn parse_hhmm(field: &str, s: &str) -> Result<u16, FieldError> {
    let bad = || FieldError::invalid(field, "must be a time such as \"09:00\"");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes as `HH:MM`.
pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The send window in numbers: what the planner works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSpec {
    pub start_min: u16,
    pub end_min: u16,
    /// Bit 0 is Monday … bit 6 Sunday.
    pub days: u8,
    pub holidays: Vec<chrono::NaiveDate>,
}

impl ReminderSettings {
    /// Checks every field and gives the window in numbers.
    pub fn validate(&self) -> Result<WindowSpec, FieldError> {
        let start_min = parse_hhmm("reminders.window_start", &self.window_start)?;
        let end_min = parse_hhmm("reminders.window_end", &self.window_end)?;
        if end_min <= start_min || end_min - start_min < 30 {
            return Err(FieldError::invalid(
                "reminders.window_end",
                "the window must end at least 30 minutes after it starts",
            ));
        }
        let mut days = 0u8;
        for d in &self.days {
            let i = DAY_NAMES.iter().position(|n| n == d).ok_or_else(|| {
                FieldError::invalid(
                    "reminders.days",
                    format!("\"{d}\" is not one of mon, tue, wed, thu, fri, sat, sun"),
                )
            })?;
            days |= 1 << i;
        }
        if days == 0 {
            return Err(FieldError::invalid(
                "reminders.days",
                "reminders need at least one day of the week",
            ));
        }
        if self.holidays.len() > 400 {
            return Err(FieldError::invalid(
                "reminders.holidays",
                "at most 400 dates",
            ));
        }
        let mut holidays = Vec::with_capacity(self.holidays.len());
        for h in &self.holidays {
            holidays.push(crate::time::parse_date(h).ok_or_else(|| {
                FieldError::invalid(
                    "reminders.holidays",
                    format!("\"{h}\" is not a date such as 2026-12-25"),
                )
            })?);
        }
        crate::sort::sort(&mut holidays);
        holidays.dedup();
        if let Some(b) = &self.bcc {
            crate::text::email("reminders.bcc", b)?;
        }
        if let Some(p) = self.late_fee_percent
            && (p.0 == 0 || p.0 > 25_000)
        {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                "reminders.late_fee_percent",
                "must be more than 0 and at most 25 percent",
            ));
        }
        Ok(WindowSpec {
            start_min,
            end_min,
            days,
            holidays: if self.skip_holidays {
                holidays
            } else {
                Vec::new()
            },
        })
    }
}

/// `PUT /api/v1/templates/{key}` and `POST /api/v1/templates/preview`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    /// `en`, `fr`, `ar`, … : the customers' language this version is for.
    pub locale: String,
    pub subject: String,
    pub body: String,
}

/// A template version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateResponse {
    pub key: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    /// A built-in template the organization has not replaced.
    pub built_in: bool,
    pub updated_at: Option<String>,
}

/// A rendered preview with sample data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplatePreviewResponse {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub variables: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(offset_days: i32) -> ReminderStep {
        ReminderStep {
            offset_days,
            tone: Tone::Friendly,
            template: None,
            actions: vec![],
        }
    }

    #[test]
    fn steps_must_be_ordered_and_bounded() {
        assert!(validate_steps(&[step(-3), step(0), step(7)]).is_ok());
        let e = validate_steps(&[step(3), step(3)]).unwrap_err();
        assert_eq!(e.field, "steps[1].offset_days");
        assert!(validate_steps(&[]).is_err());
        assert!(validate_steps(&[step(-61)]).is_err());
        assert!(validate_steps(&[step(366)]).is_err());
        let many: Vec<_> = (0..13).map(step).collect();
        assert!(validate_steps(&many).is_err());
        let mut s = step(1);
        s.template = Some("Bad Key".into());
        assert_eq!(validate_steps(&[s]).unwrap_err().field, "steps[0].template");
        let mut s = step(1);
        s.actions = vec![StepAction::LateFee, StepAction::LateFee];
        assert!(validate_steps(&[s]).is_err());
    }

    #[test]
    fn windows_parse_and_reject_nonsense() {
        let w = ReminderSettings::default().validate().unwrap();
        assert_eq!((w.start_min, w.end_min, w.days), (540, 1020, 0b0011111));
        let mut s = ReminderSettings {
            window_start: "17:00".into(),
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "reminders.window_end");
        s.window_start = "9:00".into();
        assert!(s.validate().is_err());
        let s = ReminderSettings {
            days: vec!["funday".into()],
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().message.contains("funday"));
        let mut s = ReminderSettings {
            holidays: vec!["2026-12-25".into(), "2026-13-01".into()],
            ..Default::default()
        };
        assert!(s.validate().is_err());
        s.holidays = vec!["2026-12-25".into()];
        assert!(
            s.validate().unwrap().holidays.is_empty(),
            "kept only when skipped"
        );
        s.skip_holidays = true;
        assert_eq!(s.validate().unwrap().holidays.len(), 1);
        s.late_fee_percent = Some(Milli(30_000));
        assert!(s.validate().is_err());
        assert_eq!(parse_hhmm("x", "24:00"), Ok(1440));
        assert!(parse_hhmm("x", "24:01").is_err());
        assert_eq!(format_hhmm(545), "09:05");
    }

    #[test]
    fn tags_and_rules() {
        assert!(tag("t", "vip").is_ok());
        assert!(tag("t", "région:sud").is_ok());
        assert!(tag("t", "two words").is_err());
        let r = SegmentRules {
            min_days_overdue: Some(5000),
            ..Default::default()
        };
        assert!(r.validate().is_err());
    }
}
