//! Simulated case histories for the seed: transitions by age, the sweep's reminders and
//! escalations, comments; each event with its notifications, buffered for bulk writes.

use std::collections::BTreeSet;

use chrono::{NaiveDateTime, TimeDelta};
use ketenzorg::cases::events::{self, Actor};
use ketenzorg::cases::lifecycle::{self, Action, Party};
use ketenzorg::cases::{deadlines, Parties};
use ketenzorg::cases::{CaseRow, EventKind, Step};
use ketenzorg::escalation::{self, sweep, Policy};
use ketenzorg::findings::{FindingRow, Severity};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use crate::batch::Batch;
use crate::model::*;
use crate::{days, id, v7};

pub struct Ctx<'a> {
    pub now: NaiveDateTime,
    pub policy: &'a Policy,
    pub model: &'a Model,
}

/// One case to simulate: the finding it is about, who answers for it (the contractor, with
/// its affected contracts), which monitor filed it, and when it opened.
pub struct NewCase<'a> {
    pub finding: &'a FindingRow,
    pub contractor: usize,
    pub monitor: usize,
    pub contract_ids: &'a BTreeSet<String>,
    pub t0: NaiveDateTime,
}

/// One case's life from its opening until now: its transitions (by age), the reminders and
/// escalations the sweep would have made on the way, comments; each event with its
/// notifications (written by `Batch::flush`). Returns the number of events.
pub fn simulate_case(ctx: &Ctx, rng: &mut StdRng, batch: &mut Batch, case: &NewCase) -> usize {
    let NewCase {
        finding,
        contractor,
        monitor,
        contract_ids,
        t0,
    } = *case;
    let severity: Severity = finding.severity;
    // The library's own new case (deadlines from the policy, first reminder scheduled), with
    // an id of the simulated instant.
    let parties = Parties {
        finding_id: finding.id,
        contractor_id: id(&ctx.model.contractors[contractor].id),
        monitor_id: finding.monitor_id,
        factory_id: finding.factory_id,
    };
    let mut row = deadlines::opened(parties, finding.category, severity, t0, ctx.policy);
    row.id = v7(t0);
    let ids: Vec<String> = contract_ids.iter().cloned().collect();
    let mut buyers: Vec<usize> = ids
        .iter()
        .filter_map(|id| {
            ctx.model
                .contracts
                .iter()
                .find(|k| &k.id == id)
                .map(|k| k.buyer)
        })
        .collect();
    buyers.sort_by(|a, b| ctx.model.buyers[*a].id.cmp(&ctx.model.buyers[*b].id));
    buyers.dedup();
    for id in &ids {
        batch.case_contracts.push(CaseContract {
            case_id: row.id.to_string(),
            contract_id: id.clone(),
        });
    }
    let mut sim = Sim {
        ctx,
        row,
        contractor,
        monitor,
        buyers,
        title: finding.title.clone(),
        events: 0,
    };
    let utc = ketenzorg::clock::utc;
    sim.record(
        batch,
        EventKind::Opened,
        t0,
        Some(&ctx.model.monitors[monitor]),
        json!({
            "finding_id": finding.id, "contract_ids": ids, "severity": finding.severity,
            "late_routing": false, "policy_version": sim.row.policy_version,
            "deadlines": {"acknowledge": utc(sim.row.acknowledge_due_at), "plan": utc(sim.row.plan_due_at), "remediation": utc(sim.row.remediation_due_at)},
        }),
        None,
    );
    // Where the case is now, by age: young cases are mostly open, old ones mostly closed; a
    // few contractors never answer (their cases stay open and escalate).
    const PATH: [&str; 6] = [
        "acknowledge",
        "submit_plan",
        "accept_plan",
        "report_remediated",
        "verify",
        "close",
    ];
    let age_days = (ctx.now - t0).num_hours() as f64 / 24.0;
    // Cumulative percentages of: open, acknowledged, plan_submitted, plan_accepted,
    // remediated, verified, closed; the rest is disputed.
    let weights: [u32; 7] = if age_days < 7.0 {
        [65, 95, 95, 95, 95, 95, 95]
    } else if age_days < 45.0 {
        [20, 50, 75, 95, 95, 95, 95]
    } else if age_days < 180.0 {
        [8, 15, 20, 60, 70, 75, 97]
    } else {
        [6, 9, 11, 26, 30, 34, 97]
    };
    let roll = rng.gen_range(0..100);
    let target: &[&str] = match weights.iter().position(|w| roll < *w) {
        Some(steps) => &PATH[..steps],
        None => &["dispute"],
    };
    let mut t = t0;
    for action in target {
        let (lo, hi) = match *action {
            "acknowledge" if rng.gen_bool(0.15) => (5.0, 20.0),
            "acknowledge" => (0.1, 5.0),
            "submit_plan" => (1.0, 10.0),
            "accept_plan" => (0.5, 5.0),
            "report_remediated" => (10.0, 70.0),
            "verify" => (2.0, 20.0),
            "close" => (0.1, 5.0),
            _ => (0.5, 7.0),
        };
        let next = t + days(rng, lo, hi);
        // A comment on the way, now and then.
        if rng.gen_bool(0.08) {
            let at = t + (next - t) / 2;
            if at < ctx.now {
                sim.comment(batch, rng, at);
            }
        }
        if next >= ctx.now {
            break;
        }
        t = next;
        sim.transition(batch, rng, action, t);
    }
    if rng.gen_bool(0.1) {
        let at = t + (ctx.now - t) / 3;
        sim.comment(batch, rng, at);
    }
    sim.catch_up(batch, ctx.now);
    let events = sim.events;
    batch.cases.push(sim.row);
    events
}

pub struct Sim<'a> {
    pub ctx: &'a Ctx<'a>,
    pub row: CaseRow,
    pub contractor: usize,
    pub monitor: usize,
    pub buyers: Vec<usize>,
    pub title: String,
    pub events: usize,
}

impl Sim<'_> {
    /// `cases::service::record`: the event, chained by `cases::events::next` (which advances
    /// the case head), and the case as it now stands, kept for the event's notifications.
    pub fn record(
        &mut self,
        batch: &mut Batch,
        kind: EventKind,
        at: NaiveDateTime,
        actor: Option<&Org>,
        payload: Value,
        dedup_key: Option<String>,
    ) {
        let actor = actor.map(|o| Actor::from(&o.caller)).unwrap_or_default();
        let e = events::next(&mut self.row, kind, &actor, payload, at, dedup_key)
            .expect("chain the event");
        self.row.updated_at = at;
        batch
            .outbox
            .push((self.row.clone(), batch.events.len(), self.title.clone()));
        batch.events.push(e);
        self.events += 1;
    }

    /// What the sweep would have done up to `until`: reminders before each running deadline,
    /// an escalation at each missed one, by the sweep's own rule (`escalation::sweep::due`).
    pub fn catch_up(&mut self, batch: &mut Batch, until: NaiveDateTime) {
        let rb = self.ctx.policy.reminder_before;
        for _ in 0..12 {
            escalation::reschedule(&mut self.row, rb);
            let Some(at) = self.row.next_action_at else {
                return;
            };
            if at > until {
                return;
            }
            let mut acted = false;
            for kind in sweep::visit_order(&mut self.row) {
                let Some(due) = sweep::due(&mut self.row, kind, at, rb) else {
                    continue;
                };
                self.row.version += 1;
                self.record(batch, due.kind, at, None, due.payload, Some(due.key));
                acted = true;
            }
            if !acted {
                return;
            }
        }
    }

    /// `cases::service::transition`: the step itself is the case core's (`CaseRow::apply`).
    pub fn transition(
        &mut self,
        batch: &mut Batch,
        rng: &mut StdRng,
        action: &str,
        at: NaiveDateTime,
    ) {
        self.catch_up(batch, at);
        let from = self.row.state;
        let act: Action = action.parse().unwrap();
        let to = lifecycle::next_state(from, act, self.row.resume_state)
            .unwrap_or_else(|| panic!("the simulator tried {action} from {from}"));
        let by_contractor = lifecycle::party_for(act) == Party::Contractor;
        let row = &mut self.row;
        row.apply(&Step::transition(act, from, to, at)).unwrap();
        row.version += 1;
        let mut payload = json!({"action": action, "from": from, "to": to});
        match action {
            "acknowledge" if rng.gen_bool(0.5) => {
                payload["note"] = json!("We have contacted the factory and are investigating.")
            }
            "submit_plan" => {
                let plan = json!({
                    "root_cause": "Production peaks are met with overtime instead of extra shifts.",
                    "actions": [
                        {"description": "Cap weekly hours at 60 and record them electronically.", "kind": "corrective",
                         "owner": "Factory HR manager", "due_on": (at + TimeDelta::days(60)).date()},
                        {"description": "Plan peak capacity with the buyer's forecast.", "kind": "preventive",
                         "owner": "Contractor CSR lead", "due_on": (at + TimeDelta::days(120)).date()},
                    ],
                    "no_action_justification": null,
                });
                row.plan = Some(plan.to_string());
                payload["plan"] = plan;
            }
            "report_remediated" => {
                payload["evidence"] = json!([{"url": "https://evidence.example.org/remediation/records.pdf", "label": "Time records"}]);
                payload["note"] = json!("Hours are now capped; records attached.");
            }
            "close" => payload["reason"] = json!("Remediation verified on site."),
            "dispute" => {
                payload["reason"] =
                    json!("The factory is not in our supply chain for this contract.")
            }
            _ => {}
        }
        escalation::reschedule(row, self.ctx.policy.reminder_before);
        let model = self.ctx.model;
        let actor = if by_contractor {
            &model.contractors[self.contractor]
        } else {
            &model.monitors[self.monitor]
        };
        self.record(batch, EventKind::of(act), at, Some(actor), payload, None);
    }

    pub fn comment(&mut self, batch: &mut Batch, rng: &mut StdRng, at: NaiveDateTime) {
        self.catch_up(batch, at);
        let model = self.ctx.model;
        let actor = match rng.gen_range(0..3) {
            0 => &model.contractors[self.contractor],
            1 => &model.monitors[self.monitor],
            _ => &model.buyers[self.buyers.first().copied().unwrap_or(0)],
        };
        self.row.version += 1;
        self.record(batch, EventKind::Comment, at, Some(actor),
            json!({"text": "Could you share the latest time records and the names of the auditors?"}), None);
    }
}
