use jiff::{Timestamp, tz::TimeZone};

use super::*;
use crate::ids::UserId;

fn t(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn incident(number: i64, declared: &str, resolved: Option<&str>) -> IncidentWork {
    IncidentWork { number, declared_at: t(declared), resolved_at: resolved.map(t) }
}

/// Ada, in London, on call for a day shift and the night after it, with pages, tickets and three
/// incidents: the figures a reader would count by hand.
#[test]
fn a_hand_built_history_gives_the_expected_load_per_shift_and_person() {
    let ada = UserId("ada".into());
    let london = TimeZone::get("Europe/London").unwrap();
    let pages = [
        "2026-11-23T09:30:00Z",
        "2026-11-23T09:30:30Z", // the same interruption as the one before
        "2026-11-23T18:00:00Z",
        "2026-11-23T20:30:00Z",
        "2026-11-23T22:30:00Z", // the night shift's
        "2026-11-23T23:00:00Z",
        "2026-11-24T03:00:00Z",
    ]
    .map(t);
    let tickets = ["2026-11-23T11:00:00Z", "2026-11-23T16:00:00Z"].map(t);
    let incidents = [
        incident(1, "2026-11-23T10:00:00Z", Some("2026-11-23T11:00:00Z")), // counts 6 hours
        incident(2, "2026-11-23T15:00:00Z", Some("2026-11-23T23:00:00Z")), // measured 8 hours
        incident(3, "2026-11-23T19:00:00Z", None),                         // open: 14 hours so far
    ];
    let now = t("2026-11-24T09:00:00Z");
    let policy = LoadPolicy::default();
    let day = shift_load(
        &ada,
        (t("2026-11-23T09:00:00Z"), t("2026-11-23T21:00:00Z")),
        &london,
        Work { pages: &pages, tickets: &tickets, incidents: &incidents },
        now,
        &policy,
    );
    assert_eq!(
        (day.pages, day.interruptions, day.off_hours_pages, day.night_pages, day.tickets),
        (4, 3, 2, 0, 2)
    );
    assert_eq!((day.incidents.clone(), day.incident_minutes), (vec![1, 2, 3], 360 + 480 + 840));
    assert_eq!((day.incident_budget, day.over_budget), (2.0, true), "three incidents in twelve hours");
    let night = shift_load(
        &ada,
        (t("2026-11-23T21:00:00Z"), t("2026-11-24T09:00:00Z")),
        &london,
        Work { pages: &pages, tickets: &tickets, incidents: &incidents },
        now,
        &policy,
    );
    assert_eq!(
        (night.pages, night.interruptions, night.off_hours_pages, night.night_pages, night.tickets),
        (3, 3, 3, 3, 0)
    );
    assert!(night.incidents.is_empty() && !night.over_budget);
    let short = shift_load(
        &ada,
        (t("2026-11-23T09:00:00Z"), t("2026-11-23T15:00:00Z")),
        &london,
        Work { incidents: &incidents[..1], ..Work::default() },
        now,
        &policy,
    );
    assert_eq!((short.incident_budget, short.over_budget), (1.0, false), "one incident fits six hours");

    let totals = per_person(&[day, night, short]);
    assert_eq!(totals.len(), 1);
    let ada_total = &totals[0];
    assert_eq!(
        (ada_total.shifts, ada_total.pages, ada_total.incidents, ada_total.shifts_over_budget),
        (3, 7, 4, 1)
    );
    assert_eq!(ada_total.on_call_hours, 30.0);
    assert_eq!(ada_total.quiet_shifts, 0);
}

#[test]
fn working_hours_and_nights_are_the_person_s_own() {
    let policy = LoadPolicy::default();
    let new_york = TimeZone::get("America/New_York").unwrap();
    let london = TimeZone::get("Europe/London").unwrap();
    let cases = [
        ("2026-11-23T14:00:00Z", &new_york, false, false), // 09:00 in New York, a Monday
        ("2026-11-23T13:30:00Z", &new_york, true, false),  // 08:30
        ("2026-11-28T10:00:00Z", &london, true, false),    // a Saturday morning
        ("2026-11-24T06:59:00Z", &london, true, true),     // still night
        ("2026-11-24T07:00:00Z", &london, true, false),    // morning, before work
    ];
    for (at, zone, off_hours, night) in cases {
        assert_eq!(
            (is_off_hours(t(at), zone, &policy), is_night(t(at), zone, &policy)),
            (off_hours, night),
            "{at}"
        );
    }
}

fn alert(
    key: &str,
    opened: &str,
    ack: Option<&str>,
    resolved: Option<&str>,
    paged: bool,
    met: Option<bool>,
    actions: u32,
) -> AlertFacts {
    AlertFacts {
        service: "Checkout".into(),
        dedup_key: key.into(),
        summary: format!("{key} firing"),
        priority: if paged { "high".into() } else { "low".into() },
        opened_at: t(opened),
        acknowledged_at: ack.map(t),
        resolved_at: resolved.map(t),
        paged,
        target_met: met,
        actions,
        useful_votes: 0,
        useless_votes: u32::from(key == "disk" && actions == 0),
        pages_received: if paged { vec![(t(opened), "Europe/London".into())] } else { vec![] },
    }
}

#[test]
fn toil_ranks_the_noisy_alerts_and_counts_the_response() {
    let alerts = [
        alert(
            "disk",
            "2026-11-23T09:00:00Z",
            Some("2026-11-23T09:04:00Z"),
            Some("2026-11-23T09:30:00Z"),
            true,
            Some(true),
            0,
        ),
        alert(
            "disk",
            "2026-11-23T12:00:00Z",
            Some("2026-11-23T12:10:00Z"),
            Some("2026-11-23T12:40:00Z"),
            true,
            Some(false),
            0,
        ),
        alert(
            "disk",
            "2026-11-23T15:00:00Z",
            Some("2026-11-23T15:01:00Z"),
            Some("2026-11-23T15:20:00Z"),
            true,
            Some(true),
            1,
        ),
        alert("cpu", "2026-11-23T10:00:00Z", None, Some("2026-11-23T11:00:00Z"), false, None, 0),
        alert("cpu", "2026-11-23T13:00:00Z", None, None, false, None, 0),
        alert("5xx", "2026-11-23T14:00:00Z", Some("2026-11-23T14:02:00Z"), None, true, Some(true), 0),
    ];
    let policy = LoadPolicy::default();
    let mut alerts = alerts;
    // The second disk page also reached Kenji, in Tokyo, at 21:00 his time.
    alerts[1].pages_received.push((t("2026-11-23T12:00:00Z"), "Asia/Tokyo".into()));
    let found = toil(&alerts, 2, &TimeZone::get("Europe/London").unwrap(), &policy);
    let noisiest: Vec<(&str, u32, u32)> =
        found.noisiest.iter().map(|k| (k.dedup_key.as_str(), k.opened, k.pages)).collect();
    assert_eq!(noisiest, [("disk", 3, 3), ("cpu", 2, 0)], "the top two, most often opened first");
    assert_eq!(found.repeat_pages.iter().map(|k| k.dedup_key.as_str()).collect::<Vec<_>>(), ["disk"]);
    let off_hours: Vec<(&str, u32)> =
        found.off_hours.iter().map(|k| (k.dedup_key.as_str(), k.off_hours_pages)).collect();
    assert_eq!(off_hours, [("disk", 1)], "Kenji's evening page; London's were in working hours");
    assert_eq!(found.without_action, 2, "two disk alerts were acknowledged and resolved with nothing done");
    assert_eq!(found.noisiest[0].without_action, 2);
    assert_eq!(
        (found.noisiest[0].useful_votes, found.noisiest[0].useless_votes),
        (0, 2),
        "answers add up per key"
    );
    let high = found.responses.iter().find(|r| r.priority == "high").expect("high");
    assert_eq!((high.alerts, high.mtta_minutes, high.mttr_minutes), (4, Some(4.3), Some(30.0)));
    assert_eq!((high.targets_met, high.targets_missed), (3, 1));
    assert_eq!(found.weekly.len(), 1, "all on Monday 23 November");
    assert_eq!((found.weekly[0].week.as_str(), found.weekly[0].alerts), ("2026-11-23", 6));
    let mut later = alerts[0].clone();
    later.opened_at = t("2026-11-29T23:30:00Z"); // Sunday night in London, Monday morning in Tokyo
    later.acknowledged_at = Some(t("2026-11-29T23:40:00Z"));
    let tokyo = toil(std::slice::from_ref(&later), 2, &TimeZone::get("Asia/Tokyo").unwrap(), &policy);
    assert_eq!((tokyo.weekly[0].week.as_str(), tokyo.weekly[0].mtta_minutes), ("2026-11-30", Some(10.0)));
    let london = toil(std::slice::from_ref(&later), 2, &TimeZone::get("Europe/London").unwrap(), &policy);
    assert_eq!(london.weekly[0].week, "2026-11-23", "the week is the reader's");
    let low = found.responses.iter().find(|r| r.priority == "low").expect("low");
    assert_eq!((low.mtta_minutes, low.mttr_minutes), (None, Some(60.0)));
}

fn shift(pages: u32, incidents: Vec<i64>, over_budget: bool) -> ShiftLoad {
    ShiftLoad {
        person: UserId("ada".into()),
        start: t("2026-11-23T09:00:00Z"),
        end: t("2026-11-23T21:00:00Z"),
        pages,
        interruptions: pages,
        off_hours_pages: 0,
        night_pages: 0,
        tickets: 0,
        incident_minutes: 360 * incidents.len() as i64,
        incidents,
        incident_budget: 2.0,
        over_budget,
    }
}

#[test]
fn the_seed_s_advice_follows_the_figures() {
    let busy = [
        shift(9, vec![1, 2, 3], true),
        shift(7, vec![4, 5, 6], true),
        shift(3, vec![7], false),
        shift(0, vec![], false),
    ];
    let services = [
        ServiceActivity { name: "Checkout".into(), incidents: 7, pages: 19 },
        ServiceActivity { name: "Wiki".into(), incidents: 0, pages: 2 },
    ];
    let kinds = |found: &[Advice]| found.iter().map(|a| a.kind).collect::<Vec<_>>();
    let model = SizingModel::with_budget(2.0);
    let found = advice(&busy, &services, 28.0, &model);
    assert_eq!(kinds(&found), ["documentation", "ops_mode", "product_team"]);
    assert!(
        found[1].because.contains("2 of 4 shifts were over budget: 7 incidents against a budget of 8.0"),
        "{:?}",
        found[1]
    );
    assert!(
        found[1]
            .advice
            .ends_with("The load needs Primary (4 people): 3 more than the 1 on the rotation now."),
        "Ada alone cannot hold a 24-hour seat a quarter of the time: {:?}",
        found[1]
    );
    assert!(found[2].advice.starts_with("Wiki"), "only the quiet service");
    assert_eq!(
        kinds(&advice(&busy[2..], &services, 7.0, &model)),
        ["documentation"],
        "a week is too short to judge a service"
    );
    assert!(
        advice(&busy[..2], &[], 28.0, &model).iter().all(|a| a.kind != "ops_mode"),
        "two shifts are too few to call it consistent"
    );
}

/// Rotation sizing on the seed's model, for a quiet rotation, one drowning in tickets and one
/// with incidents around the clock: which designs absorb the load, the people each needs and the
/// share of their time that goes to operations, as a reader would work them out by hand.
#[test]
fn rotation_sizing_follows_the_seeds_model() {
    struct Case {
        name: &'static str,
        demand: Demand,
        /// Per design, in the seed's order: absorbs, people, operations share.
        designs: [(bool, u32, f64); 5],
        recommended: Option<&'static str>,
    }
    let days = 28.0;
    let cases = [
        Case {
            name: "quiet: two incidents and ten tickets in four weeks",
            demand: Demand { days, incidents: 2, incident_hours: 12.0, tickets: 10 },
            // A 24-hour seat needs four people (a quarter each); the primary's 40 working hours
            // a week are all operations.
            designs: [(true, 4, 0.25), (true, 5, 0.2), (true, 5, 0.4), (true, 5, 0.4), (true, 6, 0.5)],
            recommended: Some("Primary"),
        },
        Case {
            name: "tickets: 20 hours of tickets and 3 hours of incidents a day",
            demand: Demand { days, incidents: 14, incident_hours: 84.0, tickets: 560 },
            // Four tickets people (20 h a day over 5.71 h each); the secondary's overflow is
            // nothing once they take the tickets.
            designs: [(false, 4, 0.25), (false, 5, 0.4), (true, 10, 0.5), (false, 5, 0.4), (true, 12, 0.5)],
            recommended: Some("Primary, secondary and tickets"),
        },
        Case {
            name: "nights: four incidents a day",
            demand: Demand { days, incidents: 112, incident_hours: 672.0, tickets: 0 },
            // The secondary's whole working week goes to the overflow until the day is split.
            designs: [(false, 4, 0.25), (false, 5, 0.4), (false, 6, 0.5), (true, 5, 0.4), (true, 6, 0.5)],
            recommended: Some("Primary 1, Primary 2 and secondary"),
        },
        Case {
            name: "beyond every design: eight incidents a day",
            demand: Demand { days, incidents: 224, incident_hours: 1344.0, tickets: 0 },
            designs: [(false, 4, 0.25), (false, 5, 0.4), (false, 6, 0.5), (false, 6, 0.5), (false, 8, 0.5)],
            recommended: None,
        },
    ];
    let model = SizingModel::with_budget(2.0);
    for case in cases {
        let designs = size(&case.demand, &model);
        let got: Vec<(bool, u32, f64)> = designs.iter().map(|d| (d.absorbs, d.people, d.ops_share)).collect();
        assert_eq!(got, case.designs, "{}", case.name);
        assert_eq!(recommended(&designs).map(|d| d.name.as_str()), case.recommended, "{}", case.name);
    }
}

#[test]
fn a_rotations_demand_adds_up_its_shifts() {
    let ada = UserId("ada".into());
    let shift = |incidents: Vec<i64>, minutes: i64, tickets: u32| ShiftLoad {
        person: ada.clone(),
        start: t("2026-11-23T09:00:00Z"),
        end: t("2026-11-23T21:00:00Z"),
        pages: 0,
        interruptions: 0,
        off_hours_pages: 0,
        night_pages: 0,
        tickets,
        incidents,
        incident_minutes: minutes,
        incident_budget: 2.0,
        over_budget: false,
    };
    let demand = Demand::of_shifts(&[shift(vec![1, 2], 720, 3), shift(vec![3], 480, 0)], 7.0);
    assert_eq!(demand, Demand { days: 7.0, incidents: 3, incident_hours: 20.0, tickets: 3 });
}
