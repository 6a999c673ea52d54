//! Escalation: the rules that decide whom a page notifies and when (`policy`), the arithmetic of
//! one page's escalation over time (`plan`), a page in flight (`page`), the people a step reaches
//! (`recipients`), and the response targets a page is judged against (`response`). The engine
//! that sleeps until the next deadline lives in the server; everything here is a pure function of
//! the frozen rules, the page's start and `now`.

pub mod page;
pub mod plan;
pub mod policy;
pub mod recipients;
pub mod response;

pub use page::{Page, PageStatus, PagingRules};
pub use plan::{Escalation, StepDue};
pub use policy::{
    EscalationPolicy, EscalationRules, EscalationStep, EscalationTarget, NewEscalationPolicy,
    ServiceEscalation, StepInput, TargetInput,
};
pub use recipients::{Recipients, Rosters};
pub use response::{ResponseOutcome, ResponseTargets};
