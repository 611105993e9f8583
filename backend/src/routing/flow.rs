//! Flow evaluation: run a flow's steps over an engagement's facts until a step routes it to a
//! queue. Flows are data; a configuration with a loop is refused when saved
//! ([`validate_graph`]), and evaluation is bounded anyway.

use shared::config::{Condition, Flow, FlowStep, SkillRequirement};
use shared::engagement::Variables;
use shared::ids::{FlowId, QueueId};
use std::collections::{BTreeSet, HashMap};

/// The facts a flow branches on. Field names: `variables.<name>`, `work_item.<field>`,
/// `consumer.<field>`, `channel`. Work-item and consumer fields are also copied into
/// variables (`work_item_name`, `consumer_email`, ...) when the engagement starts.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub variables: Variables,
    /// `work_item.*`, `consumer.*` and `channel`, flattened to strings.
    pub fields: HashMap<String, String>,
}

impl Facts {
    pub fn get(&self, field: &str) -> Option<&str> {
        match field.strip_prefix("variables.") {
            Some(name) => self.variables.get(name).map(String::as_str),
            None => self.fields.get(field).map(String::as_str),
        }
    }
}

/// Where a flow sent the engagement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub flow: FlowId,
    pub queue: QueueId,
    pub skills: Vec<SkillRequirement>,
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("flow {0} does not exist")]
    MissingFlow(FlowId),
    #[error("flow {flow} has no step named {step:?}")]
    MissingStep { flow: FlowId, step: String },
    #[error("flow {flow} loops back to step {step:?}")]
    Loop { flow: FlowId, step: String },
}

/// Evaluate from `start`; `SetVariable` steps write into `facts.variables`.
pub fn evaluate(
    flows: &HashMap<FlowId, Flow>,
    start: FlowId,
    facts: &mut Facts,
) -> Result<Routed, FlowError> {
    let mut visited: BTreeSet<(FlowId, String)> = BTreeSet::new();
    let mut flow_id = start;
    let mut flow = flows.get(&flow_id).ok_or(FlowError::MissingFlow(flow_id))?;
    let mut step_name = flow.start.clone();
    loop {
        if !visited.insert((flow_id, step_name.clone())) {
            return Err(FlowError::Loop {
                flow: flow_id,
                step: step_name,
            });
        }
        let step = flow
            .steps
            .get(&step_name)
            .ok_or_else(|| FlowError::MissingStep {
                flow: flow_id,
                step: step_name.clone(),
            })?;
        match step {
            FlowStep::Condition {
                when,
                then,
                otherwise,
            } => {
                step_name = if holds(when, facts) {
                    then.clone()
                } else {
                    otherwise.clone()
                };
            }
            FlowStep::SetVariable { name, value, next } => {
                let rendered = super::template::render_plain(value, &facts.variables);
                facts.variables.insert(name.clone(), rendered);
                step_name = next.clone();
            }
            FlowStep::RouteToQueue {
                queue_id,
                skills,
                priority,
            } => {
                return Ok(Routed {
                    flow: flow_id,
                    queue: *queue_id,
                    skills: skills.clone(),
                    priority: *priority,
                });
            }
            FlowStep::RouteToFlow { flow_id: next } => {
                flow_id = *next;
                flow = flows.get(&flow_id).ok_or(FlowError::MissingFlow(flow_id))?;
                step_name = flow.start.clone();
            }
        }
    }
}

/// Does `condition` hold for `facts`?
pub fn holds(condition: &Condition, facts: &Facts) -> bool {
    let number = |field: &str| facts.get(field).and_then(|v| v.trim().parse::<f64>().ok());
    match condition {
        Condition::Equals { field, value } => facts.get(field) == Some(value.as_str()),
        Condition::NotEquals { field, value } => facts.get(field) != Some(value.as_str()),
        Condition::Contains { field, value } => facts
            .get(field)
            .is_some_and(|v| v.to_lowercase().contains(&value.to_lowercase())),
        Condition::Exists { field } => facts.get(field).is_some_and(|v| !v.is_empty()),
        Condition::GreaterThan { field, value } => number(field).is_some_and(|n| n > *value),
        Condition::LessThan { field, value } => number(field).is_some_and(|n| n < *value),
        Condition::All { conditions } => conditions.iter().all(|c| holds(c, facts)),
        Condition::Any { conditions } => conditions.iter().any(|c| holds(c, facts)),
        Condition::Not { condition } => !holds(condition, facts),
    }
}

/// A configuration problem, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub field: String,
    pub message: String,
    /// The field names a queue or flow that does not exist (rather than a malformed graph).
    pub missing: bool,
}

impl GraphError {
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> GraphError {
        GraphError {
            field: field.into(),
            message: message.into(),
            missing: false,
        }
    }

    fn missing(field: impl Into<String>, message: impl Into<String>) -> GraphError {
        GraphError {
            field: field.into(),
            message: message.into(),
            missing: true,
        }
    }
}

/// Every queue a flow may route to (through any branch and any flow it continues in): where
/// an engagement started through it can end up. Flows that do not exist add nothing.
pub fn reachable_queues(flows: &HashMap<FlowId, Flow>, start: FlowId) -> BTreeSet<QueueId> {
    let mut queues = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(flow) = flows.get(&id) else { continue };
        for step in flow.steps.values() {
            match step {
                FlowStep::RouteToQueue { queue_id, .. } => {
                    queues.insert(*queue_id);
                }
                FlowStep::RouteToFlow { flow_id } => todo.push(*flow_id),
                FlowStep::Condition { .. } | FlowStep::SetVariable { .. } => {}
            }
        }
    }
    queues
}

/// Check a set of flows as a whole: every step named exists, every queue and flow referred to
/// exists, and no path of steps (across flows) comes back to where it was — flows are data
/// without loops. `flow` is the one being saved (its errors name its fields).
pub fn validate_graph(
    flows: &HashMap<FlowId, Flow>,
    queue_exists: impl Fn(&QueueId) -> bool,
    flow: FlowId,
) -> Result<(), GraphError> {
    let this = flows
        .get(&flow)
        .ok_or_else(|| GraphError::invalid("flow_id", "flow not found"))?;
    if !this.steps.contains_key(&this.start) {
        return Err(GraphError::invalid(
            "start",
            format!("start step {:?} is not one of the steps", this.start),
        ));
    }
    for (name, step) in &this.steps {
        let field = |f: &str| format!("steps.{name}.{f}");
        let next_ok = |next: &String, f: &str| {
            if this.steps.contains_key(next) {
                Ok(())
            } else {
                Err(GraphError::invalid(
                    field(f),
                    format!("step {next:?} does not exist in this flow"),
                ))
            }
        };
        match step {
            FlowStep::Condition {
                then, otherwise, ..
            } => {
                next_ok(then, "then")?;
                next_ok(otherwise, "otherwise")?;
            }
            FlowStep::SetVariable {
                next, name: var, ..
            } => {
                next_ok(next, "next")?;
                if var.is_empty() || var.chars().count() > 64 {
                    return Err(GraphError::invalid(
                        field("name"),
                        "variable names are 1 to 64 characters",
                    ));
                }
            }
            FlowStep::RouteToQueue { queue_id, .. } => {
                if !queue_exists(queue_id) {
                    return Err(GraphError::missing(
                        field("queue_id"),
                        format!("queue {queue_id} does not exist"),
                    ));
                }
            }
            FlowStep::RouteToFlow { flow_id } => {
                if !flows.contains_key(flow_id) {
                    return Err(GraphError::missing(
                        field("flow_id"),
                        format!("flow {flow_id} does not exist"),
                    ));
                }
            }
        }
    }
    // Cycle detection over (flow, step) nodes reachable from any flow (depth-first, colours).
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    let mut marks: HashMap<(FlowId, String), Mark> = HashMap::new();
    fn successors(flows: &HashMap<FlowId, Flow>, node: &(FlowId, String)) -> Vec<(FlowId, String)> {
        let Some(flow) = flows.get(&node.0) else {
            return vec![];
        };
        match flow.steps.get(&node.1) {
            Some(FlowStep::Condition {
                then, otherwise, ..
            }) => {
                vec![(node.0, then.clone()), (node.0, otherwise.clone())]
            }
            Some(FlowStep::SetVariable { next, .. }) => vec![(node.0, next.clone())],
            Some(FlowStep::RouteToFlow { flow_id }) => flows
                .get(flow_id)
                .map(|f| vec![(*flow_id, f.start.clone())])
                .unwrap_or_default(),
            _ => vec![],
        }
    }
    let roots: Vec<(FlowId, String)> = this.steps.keys().map(|s| (flow, s.clone())).collect();
    for root in roots {
        // Iterative DFS with an explicit stack of (node, expanded?).
        let mut stack = vec![(root, false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                marks.insert(node, Mark::Done);
                continue;
            }
            match marks.get(&node) {
                Some(Mark::Done) => continue,
                Some(Mark::Active) => continue,
                None => {}
            }
            marks.insert(node.clone(), Mark::Active);
            stack.push((node.clone(), true));
            for next in successors(flows, &node) {
                match marks.get(&next) {
                    Some(Mark::Active) => {
                        let field = if next.0 == flow {
                            format!("steps.{}", next.1)
                        } else {
                            format!("steps.{}", node.1)
                        };
                        return Err(GraphError::invalid(
                            field,
                            format!("this makes a loop of flows/steps back to step {:?}", next.1),
                        ));
                    }
                    Some(Mark::Done) => {}
                    None => stack.push((next, false)),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn fid(n: u128) -> FlowId {
        FlowId(Uuid::from_u128(n))
    }
    fn qid(n: u128) -> QueueId {
        QueueId(Uuid::from_u128(n))
    }

    fn flow(id: FlowId, start: &str, steps: serde_json::Value) -> Flow {
        serde_json::from_value(json!({"flow_id": id, "name": "f", "start": start, "steps": steps}))
            .unwrap()
    }

    fn set(flows: Vec<Flow>) -> HashMap<FlowId, Flow> {
        flows.into_iter().map(|f| (f.flow_id, f)).collect()
    }

    #[test]
    fn reachable_queues_follow_every_branch_and_flow_once() {
        let flows = set(vec![
            flow(
                fid(1),
                "a",
                json!({
                    "a": {"type": "condition", "when": {"op": "exists", "field": "consumer.email"}, "then": "q", "otherwise": "f"},
                    "q": {"type": "route_to_queue", "queue_id": qid(7)},
                    "f": {"type": "route_to_flow", "flow_id": fid(2)}
                }),
            ),
            flow(
                fid(2),
                "q",
                json!({"q": {"type": "route_to_queue", "queue_id": qid(8)}}),
            ),
            flow(
                fid(3),
                "f",
                json!({"f": {"type": "route_to_flow", "flow_id": fid(1)}}),
            ),
        ]);
        assert_eq!(
            reachable_queues(&flows, fid(3)),
            BTreeSet::from([qid(7), qid(8)])
        );
        assert_eq!(reachable_queues(&flows, fid(2)), BTreeSet::from([qid(8)]));
        assert!(reachable_queues(&flows, fid(99)).is_empty());
    }

    #[test]
    fn branches_set_variables_and_route() {
        let flows = set(vec![
            flow(
                fid(1),
                "vip?",
                json!({
                    "vip?": {"type": "condition", "when": {"op": "any", "conditions": [
                                {"op": "equals", "field": "consumer.email", "value": "ceo@acme.test"},
                                {"op": "greater_than", "field": "work_item.priority", "value": 7}]},
                             "then": "tag", "otherwise": "other"},
                    "tag": {"type": "set_variable", "name": "tier", "value": "vip-{work_item_name}", "next": "fast"},
                    "fast": {"type": "route_to_queue", "queue_id": qid(9), "priority": 10},
                    "other": {"type": "route_to_flow", "flow_id": fid(2)}
                }),
            ),
            flow(
                fid(2),
                "q",
                json!({"q": {"type": "route_to_queue", "queue_id": qid(8)}}),
            ),
        ]);
        let mut facts = Facts::default();
        facts.fields.insert("work_item.priority".into(), "9".into());
        facts
            .variables
            .insert("work_item_name".into(), "Invoice".into());
        let routed = evaluate(&flows, fid(1), &mut facts).unwrap();
        assert_eq!(
            (routed.queue, routed.priority, routed.flow),
            (qid(9), 10, fid(1))
        );
        assert_eq!(facts.variables["tier"], "vip-Invoice");

        let mut facts = Facts::default();
        facts
            .fields
            .insert("work_item.priority".into(), "not a number".into());
        let routed = evaluate(&flows, fid(1), &mut facts).unwrap();
        assert_eq!((routed.queue, routed.flow), (qid(8), fid(2)));
    }

    #[test]
    fn loops_are_refused_when_saved_and_stopped_when_run() {
        let flows = set(vec![
            flow(
                fid(1),
                "a",
                json!({"a": {"type": "route_to_flow", "flow_id": fid(2)}}),
            ),
            flow(
                fid(2),
                "b",
                json!({"b": {"type": "route_to_flow", "flow_id": fid(1)}}),
            ),
        ]);
        let err = validate_graph(&flows, |_| true, fid(1)).unwrap_err();
        assert!(err.message.contains("loop"), "{err:?}");
        assert!(matches!(
            evaluate(&flows, fid(1), &mut Facts::default()),
            Err(FlowError::Loop { .. })
        ));
    }

    #[test]
    fn missing_references_name_the_field() {
        let flows = set(vec![flow(
            fid(1),
            "a",
            json!({
                "a": {"type": "condition", "when": {"op": "exists", "field": "channel"}, "then": "b", "otherwise": "nowhere"},
                "b": {"type": "route_to_queue", "queue_id": qid(1)}
            }),
        )]);
        let err = validate_graph(&flows, |_| true, fid(1)).unwrap_err();
        assert_eq!(err.field, "steps.a.otherwise");
        let flows = set(vec![flow(
            fid(1),
            "b",
            json!({"b": {"type": "route_to_queue", "queue_id": qid(1)}}),
        )]);
        let err = validate_graph(&flows, |_| false, fid(1)).unwrap_err();
        assert_eq!(err.field, "steps.b.queue_id");
        let flows = set(vec![flow(
            fid(1),
            "zzz",
            json!({"b": {"type": "route_to_queue", "queue_id": qid(1)}}),
        )]);
        assert_eq!(
            validate_graph(&flows, |_| true, fid(1)).unwrap_err().field,
            "start"
        );
    }

    #[test]
    fn a_diamond_is_not_a_loop() {
        let flows = set(vec![flow(
            fid(1),
            "a",
            json!({
                "a": {"type": "condition", "when": {"op": "exists", "field": "x"}, "then": "b", "otherwise": "c"},
                "b": {"type": "set_variable", "name": "v", "value": "1", "next": "d"},
                "c": {"type": "set_variable", "name": "v", "value": "2", "next": "d"},
                "d": {"type": "route_to_queue", "queue_id": qid(1)}
            }),
        )]);
        assert!(validate_graph(&flows, |_| true, fid(1)).is_ok());
    }
}
