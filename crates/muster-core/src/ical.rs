//! iCalendar (RFC 5545) text for on-call feeds: one `VEVENT` per shift, times in UTC, stable UIDs
//! so that calendar clients update events rather than duplicate them.

use jiff::Timestamp;

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across refreshes for the same shift.
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: String,
    pub description: String,
}

/// A whole `VCALENDAR`, lines ended by CRLF and folded at 75 octets as RFC 5545 § 3.1 requires.
pub fn calendar(name: &str, events: &[CalendarEvent], stamp: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Muster//On-call schedules//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    for event in events {
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", escape(&event.uid)),
            format!("DTSTAMP:{}", utc(stamp)),
            format!("DTSTART:{}", utc(event.start)),
            format!("DTEND:{}", utc(event.end)),
            format!("SUMMARY:{}", escape(&event.summary)),
            format!("DESCRIPTION:{}", escape(&event.description)),
            "TRANSP:OPAQUE".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|line| fold(line)).collect()
}

/// A UTC date-time in the form `19980119T070000Z` (RFC 5545 § 3.3.5, form #2).
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 § 3.3.11).
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Folds a content line into pieces of at most 75 octets, never inside a UTF-8 character, each
/// continuation starting with a space; every line ends with CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let octets = c.len_utf8();
        if width + octets > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += octets;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn events_are_in_utc_with_their_uid() {
        let event = CalendarEvent {
            uid: "s1.u1.1764000000@muster".into(),
            start: ts("2026-11-23T09:00:00Z"),
            end: ts("2026-11-30T09:00:00Z"),
            summary: "On call: Payments, primary".into(),
            description: "Rule 1; rotation primary".into(),
        };
        let text = calendar("Ada's shifts", &[event], ts("2026-11-23T08:00:00Z"));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.contains("\r\nDTSTART:20261123T090000Z\r\nDTEND:20261130T090000Z\r\n"));
        assert!(text.contains("\r\nSUMMARY:On call: Payments\\, primary\r\n"), "commas are escaped");
        assert!(text.contains("\r\nDESCRIPTION:Rule 1\\; rotation primary\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "only CRLF line ends");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let folded = fold(&format!("SUMMARY:{}", "ü".repeat(60)));
        for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "ü".repeat(60)));
    }
}
