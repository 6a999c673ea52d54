//! Escalation: the rules that decide whom a page notifies and when (`policy`), the arithmetic of
//! one page's escalation over time (`plan`), and the response targets it is judged against
//! (`response`). The engine that sleeps until the next deadline lives in the server; everything
//! here is a pure function of the frozen rules, the page's start and `now`.

pub mod plan;
pub mod policy;
pub mod response;

pub use plan::{Escalation, StepDue};
pub use policy::{
    EscalationPolicy, EscalationRules, EscalationStep, EscalationTarget, NewEscalationPolicy,
    ServiceEscalation, StepInput, TargetInput,
};
pub use response::{ResponseOutcome, ResponseTargets};
