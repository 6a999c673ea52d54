//! Toil: the alerts that cost the most for the least, over a window. The noisiest alerts (by how
//! often they opened, how often they paged, and how often they paged someone outside their
//! working hours), alerts acknowledged and resolved with nothing
//! done (no note, no incident, no ticket work), keys that paged again and again, and the response
//! figures per service and priority: mean time to acknowledge and to resolve, and response
//! targets met and missed; with each alert's answers to "was this page useful?".

use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;

use super::{LoadPolicy, is_off_hours};

/// What the store knows of one alert opened in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFacts {
    pub service: String,
    pub dedup_key: String,
    pub summary: String,
    pub priority: String,
    pub opened_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub paged: bool,
    /// The page's response target: `Some(true)` met, `Some(false)` missed, `None` none or open.
    pub target_met: Option<bool>,
    /// Notes, incident links or ticket work: anything someone did about it.
    pub actions: u32,
    /// Answers to "was this page useful?".
    pub useful_votes: u32,
    pub useless_votes: u32,
    /// Each person its page reached: when, and their time zone.
    pub pages_received: Vec<(Timestamp, String)>,
}

impl AlertFacts {
    /// The people its page reached outside their working hours.
    fn off_hours_pages(&self, policy: &LoadPolicy) -> u32 {
        let off = self
            .pages_received
            .iter()
            .filter(|(at, zone)| is_off_hours(*at, &TimeZone::get(zone).unwrap_or(TimeZone::UTC), policy));
        u32::try_from(off.count()).unwrap_or(u32::MAX)
    }
}

/// An alert (a service's dedup key) and what it cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoisyAlert {
    pub service: String,
    pub dedup_key: String,
    /// The latest summary.
    pub summary: String,
    pub opened: u32,
    pub pages: u32,
    /// People paged outside their working hours (Monday to Friday, 09:00–17:00 in their zone).
    pub off_hours_pages: u32,
    /// Opened, acknowledged and resolved with nothing done.
    pub without_action: u32,
    /// Answers to "was this page useful?": yes and no.
    pub useful_votes: u32,
    pub useless_votes: u32,
}

/// Response figures of one service and priority.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseFigures {
    pub service: String,
    pub priority: String,
    pub alerts: u32,
    /// Mean minutes to acknowledge, over the acknowledged alerts.
    pub mtta_minutes: Option<f64>,
    /// Mean minutes to resolve, over the resolved alerts.
    pub mttr_minutes: Option<f64>,
    pub targets_met: u32,
    pub targets_missed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Toil {
    /// Most often opened first.
    pub noisiest: Vec<NoisyAlert>,
    /// Keys that paged more than once, most pages first.
    pub repeat_pages: Vec<NoisyAlert>,
    /// Keys that paged people outside their working hours, most such pages first.
    pub off_hours: Vec<NoisyAlert>,
    /// Alerts acknowledged and resolved with nothing done.
    pub without_action: u32,
    pub responses: Vec<ResponseFigures>,
    /// Week by week (weeks start on Monday in the reader's zone), for the MTTA and MTTR trends.
    pub weekly: Vec<WeekFigures>,
}

/// One week's alerts and their mean response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekFigures {
    /// The Monday the week starts on, `2026-11-23`.
    pub week: String,
    pub alerts: u32,
    pub mtta_minutes: Option<f64>,
    pub mttr_minutes: Option<f64>,
}

/// The Monday of the week `at` falls in, in `zone`.
fn week_of(at: Timestamp, zone: &TimeZone) -> String {
    let date = at.to_zoned_datetime(zone.clone()).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(jiff::Span::new().days(back)).unwrap_or(date).to_string()
}

fn weekly(alerts: &[AlertFacts], zone: &TimeZone) -> Vec<WeekFigures> {
    let mut weeks: Vec<String> = alerts.iter().map(|a| week_of(a.opened_at, zone)).collect();
    weeks.sort();
    weeks.dedup();
    weeks
        .into_iter()
        .map(|week| {
            let mine: Vec<&AlertFacts> =
                alerts.iter().filter(|a| week_of(a.opened_at, zone) == week).collect();
            let acks: Vec<f64> =
                mine.iter().filter_map(|a| a.acknowledged_at.map(|at| minutes(a.opened_at, at))).collect();
            let fixes: Vec<f64> =
                mine.iter().filter_map(|a| a.resolved_at.map(|at| minutes(a.opened_at, at))).collect();
            WeekFigures {
                week,
                alerts: u32::try_from(mine.len()).unwrap_or(u32::MAX),
                mtta_minutes: mean(&acks),
                mttr_minutes: mean(&fixes),
            }
        })
        .collect()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| (values.iter().sum::<f64>() / values.len() as f64 * 10.0).round() / 10.0)
}

fn minutes(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() / 60.0
}

/// The toil in `alerts`, with at most `top` rows in each ranking; weeks start on Monday in `zone`,
/// and working hours are the `policy`'s.
pub fn toil(alerts: &[AlertFacts], top: usize, zone: &TimeZone, policy: &LoadPolicy) -> Toil {
    let idle = |a: &AlertFacts| a.acknowledged_at.is_some() && a.resolved_at.is_some() && a.actions == 0;
    let mut keys: Vec<NoisyAlert> = Vec::new();
    for alert in alerts {
        let index =
            match keys.iter().position(|k| k.service == alert.service && k.dedup_key == alert.dedup_key) {
                Some(index) => index,
                None => {
                    keys.push(NoisyAlert {
                        service: alert.service.clone(),
                        dedup_key: alert.dedup_key.clone(),
                        summary: String::new(),
                        opened: 0,
                        pages: 0,
                        off_hours_pages: 0,
                        without_action: 0,
                        useful_votes: 0,
                        useless_votes: 0,
                    });
                    keys.len() - 1
                }
            };
        let key = &mut keys[index];
        key.summary = alert.summary.clone();
        key.opened += 1;
        key.pages += u32::from(alert.paged);
        key.off_hours_pages += alert.off_hours_pages(policy);
        key.without_action += u32::from(idle(alert));
        key.useful_votes += alert.useful_votes;
        key.useless_votes += alert.useless_votes;
    }
    let mut noisiest = keys.clone();
    noisiest.sort_by(|a, b| {
        b.opened.cmp(&a.opened).then(b.pages.cmp(&a.pages)).then(a.dedup_key.cmp(&b.dedup_key))
    });
    noisiest.truncate(top);
    let mut off_hours: Vec<NoisyAlert> = keys.iter().filter(|k| k.off_hours_pages > 0).cloned().collect();
    off_hours.sort_by(|a, b| b.off_hours_pages.cmp(&a.off_hours_pages).then(a.dedup_key.cmp(&b.dedup_key)));
    off_hours.truncate(top);
    let mut repeat_pages: Vec<NoisyAlert> = keys.into_iter().filter(|k| k.pages > 1).collect();
    repeat_pages.sort_by(|a, b| b.pages.cmp(&a.pages).then(a.dedup_key.cmp(&b.dedup_key)));
    repeat_pages.truncate(top);

    let mut groups: Vec<(String, String)> =
        alerts.iter().map(|a| (a.service.clone(), a.priority.clone())).collect();
    groups.sort();
    groups.dedup();
    let responses = groups
        .into_iter()
        .map(|(service, priority)| {
            let mine: Vec<&AlertFacts> =
                alerts.iter().filter(|a| a.service == service && a.priority == priority).collect();
            let acks: Vec<f64> =
                mine.iter().filter_map(|a| a.acknowledged_at.map(|at| minutes(a.opened_at, at))).collect();
            let fixes: Vec<f64> =
                mine.iter().filter_map(|a| a.resolved_at.map(|at| minutes(a.opened_at, at))).collect();
            let count = |met: bool| {
                u32::try_from(mine.iter().filter(|a| a.target_met == Some(met)).count()).unwrap_or(u32::MAX)
            };
            ResponseFigures {
                alerts: u32::try_from(mine.len()).unwrap_or(u32::MAX),
                mtta_minutes: mean(&acks),
                mttr_minutes: mean(&fixes),
                targets_met: count(true),
                targets_missed: count(false),
                service,
                priority,
            }
        })
        .collect();
    Toil {
        noisiest,
        repeat_pages,
        off_hours,
        without_action: u32::try_from(alerts.iter().filter(|a| idle(a)).count()).unwrap_or(u32::MAX),
        responses,
        weekly: weekly(alerts, zone),
    }
}
