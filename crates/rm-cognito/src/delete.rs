//! Carrying out the plan, in plan order: app clients alone, then user pools (protection off,
//! domains, pool), then identity pools. One at a time: Cognito's control-plane quotas are low
//! and a workshop has a handful of each.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{DeletionProtectionType, UserPoolType};
use common::{Action, ApplyContext, Outcome, Plan};

use crate::discover::{describe_user_pool, domains_of};
use crate::protection::turn_off_deletion_protection;
use crate::{APP_CLIENT, Clients, IDENTITY_POOL, Options, USER_POOL};

/// How long a pool may keep showing a domain after DeleteUserPoolDomain. A custom domain is
/// backed by a CloudFront distribution and reads DELETING for a while; a prefix domain goes
/// at once.
const DOMAIN_WAIT: Duration = Duration::from_secs(120);
const DOMAIN_POLL: Duration = Duration::from_secs(5);

pub(crate) async fn apply(
    clients: &Clients,
    plan: &mut Plan,
    options: Options,
    ctx: &ApplyContext,
) {
    for i in 0..plan.actions.len() {
        if ctx.interrupt.is_raised() {
            return;
        }
        let action = &plan.actions[i];
        if !action.is_to_do() {
            continue;
        }
        let spinner = ctx
            .progress
            .spinner(format!("{} {}: deleting", action.kind, action.name));
        let outcome = tokio::select! {
            outcome = delete_one(clients, action, options) => outcome,
            () = ctx.interrupt.raised() => Outcome::skipped(
                "interrupted: a request already sent may still complete in AWS; run again to check",
            ),
        };
        spinner.finish_and_clear();
        plan.actions[i].outcome = Some(outcome);
    }
}

async fn delete_one(clients: &Clients, action: &Action, options: Options) -> Outcome {
    let id = action.id.clone().unwrap_or_default();
    match action.kind.as_str() {
        APP_CLIENT => {
            let pool = action.details.get("user pool").cloned().unwrap_or_default();
            delete_app_client(clients, &pool, &id).await
        }
        USER_POOL => delete_user_pool(clients, &id, options).await,
        IDENTITY_POOL => delete_identity_pool(clients, &id).await,
        other => Outcome::Failed {
            error: format!("rm-cognito does not know how to delete a {other}"),
        },
    }
}

async fn delete_app_client(clients: &Clients, pool: &str, client: &str) -> Outcome {
    match clients
        .idp
        .delete_user_pool_client()
        .user_pool_id(pool)
        .client_id(client)
        .send()
        .await
    {
        Ok(_) => Outcome::Deleted,
        // The plan saw it: if it is gone now, our request (or a retry of it) did it.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Outcome::Deleted
        }
        Err(error) => Outcome::failed(
            &anyhow::Error::new(error)
                .context(format!("deleting app client {client} of user pool {pool}")),
        ),
    }
}

/// Protection off (if allowed), then every domain, then the pool. Protection goes first so that
/// a refused UpdateUserPool leaves the pool whole, domain included.
async fn delete_user_pool(clients: &Clients, id: &str, options: Options) -> Outcome {
    let pool = match describe_user_pool(&clients.idp, id).await {
        Ok(Some(pool)) => pool,
        Ok(None) => return Outcome::AlreadyAbsent,
        Err(error) => return Outcome::failed(&error),
    };
    if is_protected(&pool) {
        if !options.disable_deletion_protection {
            // Turned on after the plan was shown: still refuse.
            return Outcome::skipped(
                "deletion protection is on: pass --disable-deletion-protection to turn it off and delete the pool",
            );
        }
        if let Err(error) = turn_off_deletion_protection(&clients.idp, &pool).await {
            return Outcome::failed(&error);
        }
        tracing::info!("user pool {id}: deletion protection turned off");
    }
    for domain in domains_of(&pool) {
        if let Err(error) = delete_domain(clients, id, &domain).await {
            return Outcome::failed(&error);
        }
        tracing::info!("user pool {id}: domain {domain} deleted");
    }
    delete_pool_once_domains_are_gone(clients, id).await
}

fn is_protected(pool: &UserPoolType) -> bool {
    pool.deletion_protection() == Some(&DeletionProtectionType::Active)
}

/// DeleteUserPoolDomain. A domain that is already gone (an earlier run, or a lost answer) is
/// fine: the pool is re-read to tell that apart from a real failure.
async fn delete_domain(clients: &Clients, pool_id: &str, domain: &str) -> anyhow::Result<()> {
    let error = match clients
        .idp
        .delete_user_pool_domain()
        .user_pool_id(pool_id)
        .domain(domain)
        .send()
        .await
    {
        Ok(_) => return Ok(()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return Ok(());
        }
        Err(error) => error,
    };
    match describe_user_pool(&clients.idp, pool_id).await? {
        None => Ok(()),
        Some(pool) if !domains_of(&pool).iter().any(|d| d == domain) => Ok(()),
        Some(_) => Err(anyhow::Error::new(error)
            .context(format!("deleting domain {domain} of user pool {pool_id}"))),
    }
}

/// DeleteUserPool, retried while the pool still shows a domain being deleted (AWS answers
/// InvalidParameterException "It has a domain configured that should be deleted first").
async fn delete_pool_once_domains_are_gone(clients: &Clients, id: &str) -> Outcome {
    let attempts = (DOMAIN_WAIT.as_secs() / DOMAIN_POLL.as_secs()).max(1);
    for attempt in 1..=attempts {
        let error = match clients.idp.delete_user_pool().user_pool_id(id).send().await {
            Ok(_) => return Outcome::Deleted,
            // It was there a moment ago: a lost answer to our own request.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Outcome::Deleted;
            }
            Err(error) => error,
        };
        let refused_for_its_state = error
            .as_service_error()
            .is_some_and(|e| e.is_invalid_parameter_exception());
        let error = anyhow::Error::new(error).context(format!("deleting user pool {id}"));
        if !refused_for_its_state {
            return Outcome::failed(&error);
        }
        let pool = match describe_user_pool(&clients.idp, id).await {
            Ok(Some(pool)) => pool,
            Ok(None) => return Outcome::Deleted,
            Err(read_error) => return Outcome::failed(&read_error.context(format!("{error:#}"))),
        };
        if is_protected(&pool) {
            return Outcome::Failed {
                error: format!(
                    "{error:#} (deletion protection was turned back on meanwhile; run again)"
                ),
            };
        }
        if domains_of(&pool).is_empty() || attempt == attempts {
            return Outcome::failed(&error);
        }
        tracing::info!(
            "user pool {id}: its domain is still being deleted; retrying in {}s",
            DOMAIN_POLL.as_secs()
        );
        tokio::time::sleep(DOMAIN_POLL).await;
    }
    Outcome::Failed {
        error: format!(
            "user pool {id} still had a domain after {} seconds; run again later",
            DOMAIN_WAIT.as_secs()
        ),
    }
}

async fn delete_identity_pool(clients: &Clients, id: &str) -> Outcome {
    match clients
        .identity
        .delete_identity_pool()
        .identity_pool_id(id)
        .send()
        .await
    {
        Ok(_) => Outcome::Deleted,
        // The plan saw it: if it is gone now, our request (or a retry of it) did it.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Outcome::Deleted
        }
        Err(error) => Outcome::failed(
            &anyhow::Error::new(error).context(format!("deleting identity pool {id}")),
        ),
    }
}
