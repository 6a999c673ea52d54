//! A page: one alert's escalation in flight, from the moment the alert opens until someone
//! acknowledges it, it is resolved, or every step has been notified.
//!
//! A page freezes the policy it started with (rules and version) and the response target of its
//! priority, so editing a policy never changes a page already in flight. What the engine stores
//! between passes is only how many step notifications it has sent and when the next one falls
//! due; everything else follows from the frozen rules by [`Escalation`], so a restarted engine, or
//! a new leader on another instance, picks up exactly where the last one stopped.

use jiff::Timestamp;
use serde::Serialize;

use super::{
    Escalation, EscalationRules, ResponseOutcome, ResponseTargets, StepDue, policy::EscalationPolicy,
};
use crate::{
    alert::{Alert, Priority},
    ids::{AlertId, EscalationPolicyId, PageId, ServiceId},
};

/// Where a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PageStatus {
    /// Steps are still to be notified.
    Escalating,
    /// Every step of every round has been notified and nobody has acknowledged.
    Exhausted,
    /// Someone acknowledged: escalation stopped.
    Acknowledged,
    /// The alert was resolved: escalation stopped.
    Resolved,
}

impl PageStatus {
    pub const ALL: [PageStatus; 4] =
        [PageStatus::Escalating, PageStatus::Exhausted, PageStatus::Acknowledged, PageStatus::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            PageStatus::Escalating => "escalating",
            PageStatus::Exhausted => "exhausted",
            PageStatus::Acknowledged => "acknowledged",
            PageStatus::Resolved => "resolved",
        }
    }
}

impl std::str::FromStr for PageStatus {
    type Err = crate::FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        PageStatus::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            crate::FieldError::new("status", "must be one of escalating, exhausted, acknowledged, resolved")
        })
    }
}

/// A service's paging rules as a new page freezes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingRules {
    pub policy_id: EscalationPolicyId,
    pub policy_version: u32,
    pub rules: EscalationRules,
    pub targets: ResponseTargets,
}

impl PagingRules {
    pub fn of(policy: &EscalationPolicy, targets: ResponseTargets) -> Self {
        PagingRules {
            policy_id: policy.id.clone(),
            policy_version: policy.version,
            rules: policy.rules.clone(),
            targets,
        }
    }
}

/// One page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    pub id: PageId,
    pub alert_id: AlertId,
    pub service_id: ServiceId,
    pub policy_id: EscalationPolicyId,
    /// The version of the policy this page froze.
    pub policy_version: u32,
    pub rules: EscalationRules,
    pub priority: Priority,
    pub status: PageStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    /// When the current escalation began: the start, or the last time an acknowledgement timed out.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub escalation_started_at: Timestamp,
    /// After this long acknowledged, the page escalates again; none: never.
    pub acknowledgement_timeout_minutes: Option<u32>,
    /// When it must be acknowledged by; none for normal work.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub respond_by: Option<Timestamp>,
    /// How many step notifications have been sent, over all rounds.
    pub steps_notified: u32,
    /// When the next step falls due; none once escalation has stopped.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_due_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
}

impl Page {
    /// The page a newly opened alert starts, or none when it pages no one: suppressed by a
    /// maintenance window, or a storm's grouped arrivals (the storm alert itself pages).
    pub fn start(id: PageId, alert: &Alert, paging: &PagingRules) -> Option<Page> {
        if alert.suppressed || !alert.status.is_open() {
            return None;
        }
        let started_at = alert.first_seen_at;
        let respond_by = paging.targets.respond_by(alert.priority, started_at);
        let mut page = Page {
            id,
            alert_id: alert.id.clone(),
            service_id: alert.service_id.clone(),
            policy_id: paging.policy_id.clone(),
            policy_version: paging.policy_version,
            rules: paging.rules.clone(),
            priority: alert.priority,
            status: PageStatus::Escalating,
            started_at,
            escalation_started_at: started_at,
            acknowledgement_timeout_minutes: paging.targets.acknowledgement_timeout_minutes,
            respond_by,
            steps_notified: 0,
            next_due_at: None,
            acknowledged_at: None,
            resolved_at: None,
        };
        page.next_due_at = page.escalation().deadline(0);
        Some(page)
    }

    pub fn escalation(&self) -> Escalation<'_> {
        Escalation::new(&self.rules, self.escalation_started_at, self.respond_by)
    }

    /// Takes the step notifications due at `now`, oldest first, and moves the page past them:
    /// what the engine notifies on this pass. Nothing once escalation has stopped.
    pub fn take_due(&mut self, now: Timestamp) -> Vec<StepDue> {
        if self.status != PageStatus::Escalating {
            return Vec::new();
        }
        let sent = self.steps_notified as usize;
        let due = self.escalation().due(sent, now);
        let sent = sent + due.len();
        self.steps_notified = u32::try_from(sent).unwrap_or(u32::MAX);
        self.next_due_at = self.escalation().deadline(sent);
        if self.next_due_at.is_none() {
            self.status = PageStatus::Exhausted;
        }
        due
    }

    /// Someone acknowledged the alert: escalation stops, until the acknowledgement times out if
    /// the service set a timeout. Only the first acknowledgement counts towards the response
    /// target.
    pub fn acknowledge(&mut self, at: Timestamp) {
        if matches!(self.status, PageStatus::Escalating | PageStatus::Exhausted) {
            self.status = PageStatus::Acknowledged;
            self.acknowledged_at.get_or_insert(at);
            self.next_due_at = self.acknowledgement_timeout_minutes.map(|m| at + super::policy::minutes(m));
        }
    }

    /// Whether an acknowledgement has timed out at `now`, so the page must escalate again.
    pub fn acknowledgement_timed_out(&self, now: Timestamp) -> bool {
        self.status == PageStatus::Acknowledged && self.next_due_at.is_some_and(|due| due <= now)
    }

    /// Starts the escalation over from the first step at `now`, after an acknowledgement timed out.
    pub fn escalate_again(&mut self, now: Timestamp) {
        self.status = PageStatus::Escalating;
        self.escalation_started_at = now;
        self.steps_notified = 0;
        self.next_due_at = Some(now);
    }

    /// The alert was resolved: escalation stops for good. A resolve without an acknowledgement
    /// answers the page too, so it counts as the response.
    pub fn resolve(&mut self, at: Timestamp) {
        if self.status != PageStatus::Resolved {
            self.status = PageStatus::Resolved;
            self.acknowledged_at.get_or_insert(at);
            self.resolved_at = Some(at);
            self.next_due_at = None;
        }
    }

    /// Met, missed or pending against the response target; none for normal work.
    pub fn outcome(&self, now: Timestamp) -> Option<ResponseOutcome> {
        self.respond_by.map(|by| ResponseOutcome::judge(by, self.acknowledged_at, now))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::{
        alert::{AlertStatus, Severity},
        escalation::{EscalationStep, EscalationTarget},
        schedule::templates::Tier,
    };

    fn at(time: &str) -> Timestamp {
        format!("2026-11-24T{time}Z").parse().unwrap()
    }

    fn alert(priority: Priority, suppressed: bool) -> Alert {
        Alert {
            id: AlertId("a1".into()),
            service_id: ServiceId("s1".into()),
            dedup_key: "disk".into(),
            status: AlertStatus::Triggered,
            severity: Severity::Critical,
            priority,
            summary: "Disk full".into(),
            source: "db-1".into(),
            component: None,
            group: None,
            class: None,
            details: Value::Null,
            links: Vec::new(),
            images: Vec::new(),
            client: None,
            client_url: None,
            origin: "pagerduty".into(),
            suppressed,
            grouped: 0,
            first_seen_at: at("03:00:00"),
            last_seen_at: at("03:00:00"),
            occurrences: 1,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            updated_at: at("03:00:00"),
        }
    }

    fn paging() -> PagingRules {
        let step = |minutes, tier| EscalationStep {
            escalate_after_minutes: minutes,
            targets: vec![EscalationTarget::Tier { tier }],
        };
        PagingRules {
            policy_id: EscalationPolicyId("p1".into()),
            policy_version: 3,
            rules: EscalationRules {
                steps: vec![step(10, Tier::Primary), step(10, Tier::Secondary)],
                repeat: 0,
            },
            targets: ResponseTargets {
                acknowledgement_timeout_minutes: Some(30),
                ..ResponseTargets::default()
            },
        }
    }

    fn page(priority: Priority) -> Page {
        Page::start(PageId("pg1".into()), &alert(priority, false), &paging()).expect("pages")
    }

    #[test]
    fn a_page_freezes_its_policy_version_and_target() {
        let page = page(Priority::BusinessCritical);
        assert_eq!(page.policy_version, 3);
        assert_eq!(page.respond_by, Some(at("03:05:00")));
        assert_eq!(page.next_due_at, Some(at("03:00:00")), "the first step at once");
        assert_eq!(page.outcome(at("03:01:00")), Some(ResponseOutcome::Pending));
        assert_eq!(Page::start(PageId("pg".into()), &alert(Priority::Urgent, true), &paging()), None);
    }

    #[test]
    fn steps_are_taken_once_each_until_exhausted() {
        let mut page = page(Priority::Urgent);
        assert_eq!(page.take_due(at("03:00:00")).iter().map(|s| s.step).collect::<Vec<_>>(), [0]);
        assert!(page.take_due(at("03:00:30")).is_empty(), "a second pass sends nothing again");
        assert_eq!(page.next_due_at, Some(at("03:10:00")));
        assert_eq!(page.take_due(at("03:10:00")).len(), 1);
        assert_eq!(page.status, PageStatus::Exhausted);
        assert_eq!(page.next_due_at, None);
    }

    #[test]
    fn a_business_critical_page_escalates_when_its_target_runs_out() {
        let mut page = page(Priority::BusinessCritical);
        page.take_due(at("03:00:00"));
        assert_eq!(page.next_due_at, Some(at("03:05:00")), "five minutes, not the step's ten");
    }

    #[test]
    fn acknowledging_stops_escalation_and_judges_the_target() {
        let mut page = page(Priority::BusinessCritical);
        page.take_due(at("03:00:00"));
        page.acknowledge(at("03:04:00"));
        assert_eq!(page.status, PageStatus::Acknowledged);
        assert!(page.take_due(at("04:00:00")).is_empty());
        page.resolve(at("03:30:00"));
        assert!(!page.acknowledgement_timed_out(at("05:00:00")), "a resolved page never times out");
        assert_eq!(page.acknowledged_at, Some(at("03:04:00")), "the first response counts");
        assert_eq!(page.outcome(at("05:00:00")), Some(ResponseOutcome::Met));

        let mut late = self::page(Priority::BusinessCritical);
        late.resolve(at("03:06:00"));
        assert_eq!(late.outcome(at("05:00:00")), Some(ResponseOutcome::Missed));
        assert_eq!(self::page(Priority::Normal).outcome(at("05:00:00")), None);
    }

    #[test]
    fn an_acknowledgement_that_times_out_escalates_again_from_the_first_step() {
        let mut page = page(Priority::Urgent);
        page.take_due(at("03:00:00"));
        page.acknowledge(at("03:02:00"));
        assert_eq!(page.next_due_at, Some(at("03:32:00")), "thirty minutes after the acknowledgement");
        assert!(!page.acknowledgement_timed_out(at("03:31:59")));
        assert!(page.acknowledgement_timed_out(at("03:32:00")));
        page.escalate_again(at("03:32:00"));
        let again: Vec<_> = page.take_due(at("03:32:00")).iter().map(|s| (s.step, s.due_at)).collect();
        assert_eq!(again, [(0, at("03:32:00"))], "the first step again, at once");
        assert_eq!(page.next_due_at, Some(at("03:42:00")));
        page.acknowledge(at("03:35:00"));
        assert_eq!(
            page.acknowledged_at,
            Some(at("03:02:00")),
            "the response target judged the first acknowledgement"
        );
    }
}
