//! Which security alternative each operation sends, and the keys a run reads for them: the
//! first alternative whose variables are all set is put in force, every scheme of it with its
//! own secret. `specgate run`, `specgate diff` and the libtest-mimic suite choose the same
//! way, so a contract is called with the same credentials whichever way it is run.

use super::secret::ApiKey;
use crate::contract::{AuthSpec, Operation, Security};
use std::sync::Arc;

/// Why the keys a run needs are not all there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecurityError {
    /// Against a base URL, no alternative of an operation has all its secrets set.
    #[error("no security alternative of {operation} has all its secrets set: export {export}")]
    NoCompleteAlternative {
        /// The operation's name.
        operation: String,
        /// Every alternative's variables: `A=... and B=..., or C=...`.
        export: String,
    },
    /// A variable the chosen alternatives name is not set.
    #[error("the key of {} is not set: export {env}=...", .users.join(", "))]
    KeyNotSet {
        /// The variable.
        env: String,
        /// The operations that send it.
        users: Vec<String>,
    },
}

/// One operation that had several alternatives, and the one put in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The operation's name.
    pub operation: String,
    /// The alternative in force, 1-based.
    pub alternative: usize,
    /// How many the operation has.
    pub of: usize,
    /// What it sends: `` `appKey` header ($APP_KEY) + `appToken` header ($APP_TOKEN) ``.
    pub sent: String,
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sends security alternative {} of {}: {}",
            self.operation, self.alternative, self.of, self.sent
        )
    }
}

/// Put each operation's first security alternative whose variables are all set in force
/// (`one_key`: one key serves every variable, so the first is). Against a base URL, an
/// operation none of whose alternatives is complete is refused before anything is sent; the
/// built-in sandbox accepts its default key, so there the first alternative serves. Returns
/// the operations and, for each that had a choice, which alternative it sends.
pub fn choose_security(
    one_key: bool,
    against_base_url: bool,
    operations: Vec<Arc<Operation>>,
) -> Result<(Vec<Arc<Operation>>, Vec<Choice>), SecurityError> {
    let is_set = |env: &str| one_key || ApiKey::from_env(env).is_some();
    let mut chosen = Vec::with_capacity(operations.len());
    let mut choices = Vec::new();
    for operation in operations {
        let alternatives = operation.auth.alternatives().len();
        if alternatives < 2 {
            chosen.push(operation);
            continue;
        }
        let mut operation = Arc::unwrap_or_clone(operation);
        let complete = operation.auth.choose(is_set);
        if complete.is_none() && against_base_url {
            return Err(SecurityError::NoCompleteAlternative {
                operation: operation.name.clone(),
                export: alternatives_text(&operation.auth),
            });
        }
        choices.push(Choice {
            operation: operation.name.clone(),
            alternative: operation.auth.chosen() + 1,
            of: alternatives,
            sent: sent_text(operation.auth.sent()),
        });
        chosen.push(Arc::new(operation));
    }
    Ok((chosen, choices))
}

/// The keys of the variables the operations send other than `first`: each must be set.
pub fn other_keys(
    operations: &[Arc<Operation>],
    first: &str,
) -> Result<Vec<ApiKey>, SecurityError> {
    let mut envs: Vec<&str> = operations
        .iter()
        .flat_map(|o| o.auth.sent().iter().flat_map(AuthSpec::envs))
        .filter(|env| *env != first)
        .collect();
    envs.sort_unstable();
    envs.dedup();
    envs.into_iter()
        .map(|env| {
            ApiKey::from_env(env).ok_or_else(|| SecurityError::KeyNotSet {
                env: env.to_owned(),
                users: users_of(operations, env)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

/// The operations that send a key read from `env`.
pub fn users_of<'a>(operations: &'a [Arc<Operation>], env: &str) -> Vec<&'a str> {
    operations
        .iter()
        .filter(|o| o.auth.sent().iter().any(|a| a.envs().contains(&env)))
        .map(|o| o.name.as_str())
        .collect()
}

/// `` `appKey` header ($APP_KEY) + `appToken` header ($APP_TOKEN) ``.
fn sent_text(schemes: &[AuthSpec]) -> String {
    let sent: Vec<String> = schemes
        .iter()
        .map(|a| format!("{} (${})", a.place(), a.env))
        .collect();
    sent.join(" + ")
}

/// Every alternative's variables: `A=... and B=..., or C=...`.
fn alternatives_text(security: &Security) -> String {
    let alternatives: Vec<String> = security
        .alternatives()
        .iter()
        .map(|schemes| {
            let envs: Vec<String> = schemes.iter().map(|a| format!("{}=...", a.env)).collect();
            envs.join(" and ")
        })
        .collect();
    alternatives.join(", or ")
}
