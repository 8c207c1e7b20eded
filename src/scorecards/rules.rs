//! The rule of each case figure, written once as SQL over a `cases` row: the aggregate (every
//! case of the contractor) and the case lists (the caller's reach) use the same text, so a
//! figure and the cases behind it cannot disagree. Each classification is 1 (counted), 0 (in
//! the denominator, not counted) or NULL (not in the denominator). `{now}` marks where the
//! instant of the question is bound: a deadline counts as passed before it.

/// The placeholder for the instant of the question.
pub(super) const NOW: &str = "{now}";

/// A deadline in force: the policy's (moved by pauses), or a later extension granted.
fn deadline(due: &str, extended: &str) -> String {
    format!("(CASE WHEN cases.{extended} > cases.{due} THEN cases.{extended} ELSE cases.{due} END)")
}

/// Met at or before its deadline: 1; met late, or not met and the deadline passed: 0.
fn on_time(met: &str, due: &str, extended: &str) -> String {
    let d = deadline(due, extended);
    format!(
        "(CASE WHEN cases.{met} IS NOT NULL THEN (CASE WHEN cases.{met} <= {d} THEN 1 ELSE 0 END) \
         WHEN {d} < {NOW} THEN 0 END)"
    )
}

/// Acknowledged (a dispute is an answer too: it sets `acknowledged_at`) on time.
pub(super) fn acknowledged_on_time() -> String {
    on_time(
        "acknowledged_at",
        "acknowledge_due_at",
        "acknowledge_extended_to",
    )
}

/// Reported remediated on time.
pub(super) fn remediated_on_time() -> String {
    on_time(
        "remediated_at",
        "remediation_due_at",
        "remediation_extended_to",
    )
}

/// Of the cases with an accepted plan: 1 when no plan was rejected before the first
/// acceptance (by the events' order), else 0. Decided when the first acceptance is recorded
/// and kept on the case (`plan_first_time`, set by the trigger of migration
/// `2026-12-06-000020_case_rule_columns`).
pub(super) fn plan_accepted_first_time() -> String {
    "(CASE WHEN cases.plan_accepted_at IS NULL THEN NULL ELSE cases.plan_first_time END)".into()
}

/// 1 for a case with a dispute event, else 0 (`ever_disputed`, set by the same migration's
/// trigger when a dispute is recorded).
pub(super) fn disputed() -> String {
    "cases.ever_disputed".into()
}

/// The levels a scorecard counts: a case's level is at most 3.
pub(super) const LEVELS: [i32; 3] = [1, 2, 3];
