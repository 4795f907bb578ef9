//! Step 5: delete Cognito user pools (with their domains and app clients), app clients alone,
//! and identity pools.
//!
//! `target` validates what the user named (names or ids, `POOL/CLIENT` for app clients);
//! `discover` turns it into a plan; `delete` carries the plan out; `protection` builds the
//! UpdateUserPool request that turns deletion protection off without resetting the pool.
//! AWS-NOTES.md ("Cognito") lists the quirks handled here: a pool with a domain cannot be
//! deleted, deletion protection, UpdateUserPool resetting what it is not sent, and identity pool
//! roles left behind.
//!
//! Choices worth knowing (also in `--help`):
//! - User pool and identity pool names are not unique. A name that several pools share is
//!   refused (each pool is shown with its id, exit 1): give the ids of the ones to delete.
//!   `--match` is an explicit opt-in and selects every pool whose name matches.
//! - `--app-client CLIENT` (name or id) is searched in every user pool of the region;
//!   `--app-client POOL/CLIENT` (pool name or id) only in that pool. A client found in more than
//!   one place is refused with the list of matches.

mod delete;
mod discover;
pub mod protection;
pub mod target;

use aws_sdk_cognitoidentity::config::retry::RetryConfig;
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step};

use crate::target::Targets;

/// Kinds of resource in this step's plan and report.
pub const USER_POOL: &str = "user pool";
pub const APP_CLIENT: &str = "app client";
pub const IDENTITY_POOL: &str = "identity pool";
/// The kind of the IAM roles left for step 7 (rm-iam reads leftovers of this kind).
pub const ROLE: &str = "role";

/// Opt-in behaviour beyond deleting unprotected pools.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Turn deletion protection off instead of refusing.
    pub disable_deletion_protection: bool,
}

/// Step 5 of the chapter.
#[derive(Clone, Debug)]
pub struct CognitoStep {
    targets: Targets,
    selection: Selection,
    options: Options,
}

impl CognitoStep {
    /// Validates every name, id and pattern; bad ones are bad input.
    pub fn new(
        user_pools: &[String],
        app_clients: &[String],
        identity_pools: &[String],
        matching: &MatchArgs,
        options: Options,
    ) -> anyhow::Result<Self> {
        let selection = Selection::from_parts(
            &[
                ("--user-pool", user_pools, &target::USER_POOL_NAME),
                ("--app-client", app_clients, &target::APP_CLIENT_SPEC),
                (
                    "--identity-pool",
                    identity_pools,
                    &target::IDENTITY_POOL_NAME,
                ),
            ],
            matching,
        )?;
        let targets = Targets::parse(user_pools, app_clients, identity_pools)?;
        Ok(CognitoStep {
            targets,
            selection,
            options,
        })
    }
}

impl Step for CognitoStep {
    const TOOL: &'static str = "rm-cognito";
    const STEP: u8 = 5;
    const TITLE: &'static str = "Delete Amazon Cognito";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let clients = Clients::new(session);
        discover::plan(&clients, &self.targets, &self.selection, self.options).await
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        let clients = Clients::new(session);
        delete::apply(&clients, plan, self.options, ctx).await;
        Ok(())
    }
}

/// The two Cognito services: user pools (cognito-idp) and identity pools (cognito-identity).
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    pub identity: aws_sdk_cognitoidentity::Client,
    /// For GetIdentityPoolRoles only: its answer is informational (roles left for step 7), so
    /// a failing call gives up after two attempts instead of delaying the plan with ten.
    pub identity_roles: aws_sdk_cognitoidentity::Client,
}

impl Clients {
    fn new(session: &Session) -> Clients {
        let roles_config = aws_sdk_cognitoidentity::config::Builder::from(&session.config)
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .build();
        Clients {
            idp: aws_sdk_cognitoidentityprovider::Client::new(&session.config),
            identity: aws_sdk_cognitoidentity::Client::new(&session.config),
            identity_roles: aws_sdk_cognitoidentity::Client::from_conf(roles_config),
        }
    }
}
