//! Step 7: delete IAM roles, and the customer-managed policies only they used.
//!
//! `target` validates what the user named and who the caller is; `discover` turns it into a
//! plan (roles, the instance profiles made with them, the policies that go with them, and
//! `--policy` policies); `delete` carries the plan out. AWS-NOTES.md ("IAM") lists the quirks
//! handled here: DeleteConflict until instance profiles, managed and inline policies are gone
//! (retried briefly: IAM is eventually consistent), policy versions before DeletePolicy,
//! console-made `AWSLambdaBasicExecutionRole-<uuid>` policies that outlive their role,
//! service-linked roles, and never deleting the caller's own role.
//!
//! Choices worth knowing (also in `--help`):
//! - A customer-managed policy attached to a deleted role is deleted with it only when nothing
//!   else uses it; otherwise it is kept and listed with the reason. `--keep-policies` keeps them
//!   all. AWS-managed policies are only ever detached.
//! - A customer-managed policy that is a deleted role's permissions boundary is kept and listed:
//!   boundaries are usually shared guardrails. `--policy` deletes it if you mean it.
//! - `--policy` refuses a policy attached to the caller's own role or user: detaching it could
//!   take away the permissions the run needs.

pub mod caller;
mod delete;
mod discover;
pub mod orphans;
pub mod target;

use aws_sdk_iam::Client;
use common::{ApplyContext, MatchArgs, Plan, Selection, Session, Step};

use crate::caller::Caller;
use crate::target::PolicyRef;

/// Kinds of resource in this step's plan and report.
pub const ROLE: &str = "role";
pub const POLICY: &str = "policy";
pub const INSTANCE_PROFILE: &str = "instance profile";

/// Opt-in behaviour.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Keep the customer-managed policies that only the deleted roles used.
    pub keep_policies: bool,
    /// Delete service-linked roles (with DeleteServiceLinkedRole) instead of refusing.
    pub service_linked: bool,
}

/// Step 7 of the chapter.
#[derive(Clone, Debug)]
pub struct IamStep {
    /// Roles by exact name and `--match` globs over role names; `None` with `--policy` alone.
    roles: Option<Selection>,
    policies: Vec<PolicyRef>,
    /// Unattached `/service-role/` policies about these resources (orphans.rs).
    orphans: orphans::Selectors,
    options: Options,
}

impl IamStep {
    /// Validates names, ARNs and patterns; bad ones are bad input.
    pub fn new(
        roles: &[String],
        policies: &[String],
        matching: &MatchArgs,
        options: Options,
    ) -> anyhow::Result<Self> {
        IamStep::with_orphans(
            roles,
            policies,
            orphans::Selectors::default(),
            matching,
            options,
        )
    }

    /// [`IamStep::new`] that also selects orphaned console policies (`--unattached-policies-for-*`).
    pub fn with_orphans(
        roles: &[String],
        policies: &[String],
        orphans: orphans::Selectors,
        matching: &MatchArgs,
        options: Options,
    ) -> anyhow::Result<Self> {
        let policies = target::parse_policies(policies)?;
        let roles = if roles.is_empty() && matching.globs.is_empty() {
            if policies.is_empty() && orphans.is_empty() {
                return Err(common::bad_input(
                    "nothing selected: give --role NAME, --policy NAME|ARN or --match GLOB",
                ));
            }
            None
        } else {
            Some(Selection::new(
                "--role",
                roles,
                matching,
                &target::ROLE_NAME,
            )?)
        };
        Ok(IamStep {
            roles,
            policies,
            orphans,
            options,
        })
    }
}

impl Step for IamStep {
    const TOOL: &'static str = "rm-iam";
    const STEP: u8 = 7;
    const TITLE: &'static str = "Delete IAM Roles and Policies";

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        // IAM is global: the session's region only picks the endpoint, which is global too.
        let client = Client::new(&session.config);
        let caller = Caller::from_arn(&session.caller_arn);
        let found = if self.orphans.is_empty() {
            Vec::new()
        } else {
            orphans::find(&client, &self.orphans).await?
        };
        let mut policies = self.policies.clone();
        for orphan in &found {
            let policy = PolicyRef::Arn(orphan.arn.clone());
            if !policies.contains(&policy) {
                policies.push(policy);
            }
        }
        let mut plan = discover::plan(
            &client,
            &caller,
            &session.account,
            self.roles.as_ref(),
            &policies,
            self.options,
        )
        .await?;
        for orphan in &found {
            if let Some(action) = plan
                .actions
                .iter_mut()
                .find(|a| a.kind == POLICY && a.id.as_deref() == Some(orphan.arn.as_str()))
            {
                let about = orphan.about.join(", ");
                action
                    .details
                    .insert(orphans::ABOUT.to_string(), about.clone());
                action.notes.push(format!(
                    "unattached console policy under /service-role/, only about {about}"
                ));
            }
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> anyhow::Result<()> {
        let client = Client::new(&session.config);
        let caller = Caller::from_arn(&session.caller_arn);
        delete::apply(&client, &caller, plan, ctx).await;
        Ok(())
    }
}
