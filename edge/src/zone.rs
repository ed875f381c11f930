//! A customer's time zone: an IANA name and the UTC offset it has at any
//! instant, and from there local dates and the instant of a local time.
//!
//! Only the offset lookup differs between the two places this code runs. In
//! the worker it asks the runtime's own time-zone data (V8's ICU, through
//! `Intl.DateTimeFormat`), which keeps chrono-tz's compiled tables (about
//! 130 KB gzip) out of the worker; natively, for tests and tools, it reads
//! chrono-tz. Everything built on the offset (the local time of an instant,
//! the instant of a local time across daylight-saving gaps and repeats) is
//! this one module's code on both sides, and the integration tests run the
//! worker's lookup against zones with and without daylight saving.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime};

/// A valid IANA time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    name: String,
    #[cfg(not(target_arch = "wasm32"))]
    tz: chrono_tz::Tz,
}

impl Zone {
    /// The zone named `name`, if the runtime knows it.
    pub fn parse(name: &str) -> Option<Zone> {
        if !iana_form(name) {
            return None;
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let tz: chrono_tz::Tz = name.parse().ok()?;
            Some(Zone {
                name: name.to_owned(),
                tz,
            })
        }
        #[cfg(target_arch = "wasm32")]
        {
            intl::known(name).then(|| Zone {
                name: name.to_owned(),
            })
        }
    }

    /// Coordinated universal time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            #[cfg(not(target_arch = "wasm32"))]
            tz: chrono_tz::UTC,
        }
    }

    /// The zone named `name`, or UTC for anything unknown (names are checked
    /// on the way in, so this is only a safety net).
    pub fn or_utc(name: &str) -> Zone {
        Zone::parse(name).unwrap_or_else(Zone::utc)
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC at the instant `at_ms`.
    pub fn offset_secs(&self, at_ms: i64) -> i32 {
        #[cfg(not(target_arch = "wasm32"))]
        {
            use chrono::{Offset, TimeZone};
            self.tz
                .offset_from_utc_datetime(&utc(at_ms))
                .fix()
                .local_minus_utc()
        }
        #[cfg(target_arch = "wasm32")]
        {
            intl::offset_secs(&self.name, at_ms)
        }
    }

    /// The local date and time of an instant.
    pub fn local(&self, at_ms: i64) -> NaiveDateTime {
        utc(at_ms) + Duration::seconds(self.offset_secs(at_ms).into())
    }

    /// The local date of an instant.
    pub fn date(&self, at_ms: i64) -> NaiveDate {
        self.local(at_ms).date()
    }

    /// The instants (ms) a local time names: one, two when the clocks go
    /// back over it, none when they skip it.
    pub fn instants(&self, local: &NaiveDateTime) -> LocalResult<i64> {
        let as_utc = local.and_utc().timestamp_millis();
        // A local time is UTC minus an offset in force near it; offsets
        // change at most once within a day either side.
        let day = 86_400_000;
        let mut found: Vec<i64> = [as_utc - day, as_utc, as_utc + day]
            .into_iter()
            .map(|probe| self.offset_secs(probe))
            .map(|offset| as_utc - i64::from(offset) * 1000)
            .filter(|at| self.local(*at) == *local)
            .collect();
        settle_shared::sort::sort(&mut found);
        found.dedup();
        match found[..] {
            [] => LocalResult::None,
            [one] => LocalResult::Single(one),
            [first, .., last] => LocalResult::Ambiguous(first, last),
        }
    }

    /// The instant of a local time: the earlier of a repeated one, and for
    /// one the clocks skip, the first instant after the gap.
    pub fn resolve(&self, local: &NaiveDateTime) -> Option<i64> {
        match self.instants(local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at),
            LocalResult::None => {
                (1..=24 * 60).find_map(|m| match self.instants(&(*local + Duration::minutes(m))) {
                    LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at),
                    LocalResult::None => None,
                })
            }
        }
    }
}

/// Whether a name has the IANA form (`Europe/Paris`, `UTC`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+5`): each part starts with a
/// capital letter. The runtime's Intl also takes `europe/paris` or
/// `+05:30`, which tools reading the same row natively would not; both
/// sides take the same names.
fn iana_form(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('/').all(|part| {
            part.starts_with(|c: char| c.is_ascii_uppercase())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

fn utc(at_ms: i64) -> NaiveDateTime {
    DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .naive_utc()
}

#[cfg(target_arch = "wasm32")]
mod intl {
    //! The runtime's time-zone data through `Intl.DateTimeFormat`, one
    //! formatter per zone kept for the life of the isolate.

    use js_sys::{Array, Date, Intl, Object, Reflect};
    use std::cell::RefCell;
    use std::collections::HashMap;
    use wasm_bindgen::{JsCast, JsValue};

    thread_local! {
        static FORMATS: RefCell<HashMap<String, Intl::DateTimeFormat>> =
            RefCell::new(HashMap::new());
    }

    /// The zone's formatter; only known zones are kept (a name someone
    /// typed wrong is not remembered).
    fn format(name: &str) -> Option<Intl::DateTimeFormat> {
        if let Some(f) = FORMATS.with(|cache| cache.borrow().get(name).cloned()) {
            return Some(f);
        }
        let f = build(name)?;
        FORMATS.with(|cache| cache.borrow_mut().insert(name.to_owned(), f.clone()));
        Some(f)
    }

    fn build(name: &str) -> Option<Intl::DateTimeFormat> {
        let options = Object::new();
        let set = |k: &str, v: &str| Reflect::set(&options, &k.into(), &v.into()).ok();
        set("timeZone", name)?;
        set("hourCycle", "h23")?;
        for part in ["year", "month", "day", "hour", "minute", "second"] {
            set(part, "numeric")?;
        }
        // The constructor throws a RangeError for an unknown zone, which
        // the binding in js-sys would not catch: construct it reflectively.
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let ctor: js_sys::Function = Reflect::get(&intl, &"DateTimeFormat".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let args = Array::of2(&JsValue::from_str("en-US"), &options);
        Reflect::construct(&ctor, &args)
            .ok()?
            .dyn_into::<Intl::DateTimeFormat>()
            .ok()
    }

    pub fn known(name: &str) -> bool {
        format(name).is_some()
    }

    pub fn offset_secs(name: &str, at_ms: i64) -> i32 {
        let Some(format) = format(name) else {
            return 0;
        };
        let date = Date::new(&JsValue::from_f64(at_ms as f64));
        let mut f = [0i64; 6];
        for part in format.format_to_parts(&date).iter() {
            let kind = Reflect::get(&part, &"type".into())
                .ok()
                .and_then(|v| v.as_string());
            let value = Reflect::get(&part, &"value".into())
                .ok()
                .and_then(|v| v.as_string());
            let (Some(kind), Some(value)) = (kind, value) else {
                continue;
            };
            let slot = match kind.as_str() {
                "year" => 0,
                "month" => 1,
                "day" => 2,
                "hour" => 3,
                "minute" => 4,
                "second" => 5,
                _ => continue,
            };
            f[slot] = value.parse().unwrap_or(0);
        }
        let local = chrono::NaiveDate::from_ymd_opt(f[0] as i32, f[1] as u32, f[2] as u32)
            .and_then(|d| d.and_hms_opt(f[3] as u32, f[4] as u32, f[5] as u32));
        let Some(local) = local else {
            return 0;
        };
        let whole_seconds = at_ms.div_euclid(1000) * 1000;
        ((local.and_utc().timestamp_millis() - whole_seconds) / 1000) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn names_are_checked() {
        assert!(Zone::parse("Europe/Paris").is_some());
        assert!(Zone::parse("UTC").is_some());
        assert!(Zone::parse("Mars/Olympus").is_none());
        assert!(Zone::parse("").is_none());
        assert!(Zone::parse("europe/paris").is_none(), "the IANA form only");
        assert!(Zone::parse("+05:30").is_none());
        assert!(Zone::parse("Etc/GMT+5").is_some());
        assert!(Zone::parse("America/Argentina/Buenos_Aires").is_some());
        assert_eq!(Zone::or_utc("Mars/Olympus"), Zone::utc());
    }

    #[test]
    fn offsets_follow_daylight_saving() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        assert_eq!(paris.offset_secs(ms("2026-07-01T12:00:00Z")), 7200);
        assert_eq!(paris.offset_secs(ms("2026-12-01T12:00:00Z")), 3600);
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        assert_eq!(kolkata.offset_secs(ms("2026-12-01T12:00:00Z")), 19800);
        assert_eq!(
            kolkata.date(ms("2026-12-01T19:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }

    #[test]
    fn gaps_and_repeats() {
        let ny = Zone::parse("America/New_York").unwrap();
        // 2026-03-08 skips 02:00–03:00.
        assert_eq!(ny.instants(&local("2026-03-08 02:30")), LocalResult::None);
        assert_eq!(
            ny.resolve(&local("2026-03-08 02:30")),
            Some(ms("2026-03-08T07:00:00Z"))
        );
        // 2026-11-01 repeats 01:00–02:00.
        assert_eq!(
            ny.instants(&local("2026-11-01 01:30")),
            LocalResult::Ambiguous(ms("2026-11-01T05:30:00Z"), ms("2026-11-01T06:30:00Z"))
        );
        assert_eq!(
            ny.instants(&local("2026-11-01 12:00")),
            LocalResult::Single(ms("2026-11-01T17:00:00Z"))
        );
    }

    proptest::proptest! {
        /// The instants of a local time are exactly chrono-tz's, in every
        /// zone the tests use, across years of transitions.
        #[test]
        fn instants_agree_with_chrono_tz(
            zone_i in 0usize..6,
            minutes in 0i64..(5 * 366 * 24 * 60),
        ) {
            let names = ["America/New_York", "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata",
                "Australia/Lord_Howe", "America/Sao_Paulo"];
            let zone = Zone::parse(names[zone_i]).unwrap();
            let tz: chrono_tz::Tz = names[zone_i].parse().unwrap();
            let l = local("2024-01-01 00:00") + Duration::minutes(minutes);
            let theirs = tz.from_local_datetime(&l).map(|t| t.timestamp_millis());
            proptest::prop_assert_eq!(zone.instants(&l), theirs);
            let at = l.and_utc().timestamp_millis();
            proptest::prop_assert_eq!(
                zone.local(at),
                tz.timestamp_millis_opt(at).unwrap().naive_local()
            );
        }
    }
}
