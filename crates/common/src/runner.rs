//! The flow every step binary follows: validate, check the account, discover, show, confirm,
//! apply, report. A binary supplies the service-specific parts as a [`Step`].

use std::future::Future;
use std::process::ExitCode;

use anyhow::Context;

use crate::args::{AwsArgs, OutputFormat};
use crate::aws::Session;
use crate::cli::report_error;
use crate::confirm::{Answer, confirm};
use crate::exit::Exit;
use crate::interrupt::Interrupt;
use crate::plan::{Outcome, Plan, Report, ReportHeader, render_plan, render_plan_brief};
use crate::progress::Progress;

/// One chapter step: how to discover what the selection names, and how to delete it.
pub trait Step {
    /// The binary's name, e.g. "rm-dynamodb".
    const TOOL: &'static str;
    /// The chapter's step number, 1 to 7.
    const STEP: u8;
    /// The chapter's heading for the step, e.g. "Delete DynamoDB Tables".
    const TITLE: &'static str;

    /// Lists and describes what the selection names. Read-only: no mutating call, ever, so a
    /// dry run and the plan shown before confirmation are safe.
    fn plan(&self, session: &Session) -> impl Future<Output = anyhow::Result<Plan>>;

    /// Carries out every action whose outcome is still `None`, setting each outcome. Per-resource
    /// failures go into the outcome, not into the error: the other resources still get done.
    /// Returning early on an interrupt is fine; actions left without an outcome are reported as
    /// not reached.
    fn apply(
        &self,
        session: &Session,
        plan: &mut Plan,
        ctx: &ApplyContext,
    ) -> impl Future<Output = anyhow::Result<()>>;
}

/// What `apply` gets besides the plan: progress display and the Ctrl-C flag.
#[derive(Clone, Debug)]
pub struct ApplyContext {
    pub progress: Progress,
    pub interrupt: Interrupt,
}

/// Runs a step binary from start to exit status. `make_step` turns the parsed flags into the
/// step (validating names and patterns); it runs before any AWS call, so bad input changes
/// nothing and costs no request.
pub fn run<S: Step>(
    aws: &AwsArgs,
    crate_name: &str,
    make_step: impl FnOnce() -> anyhow::Result<S>,
) -> ExitCode {
    crate::logging::init(aws, crate_name);
    let step = match make_step().and_then(|step| aws.validate().map(|()| step)) {
        Ok(step) => step,
        Err(error) => return report_error(S::TOOL, &error),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return report_error(S::TOOL, &anyhow::Error::new(error)),
    };
    match runtime.block_on(drive(&step, aws)) {
        Ok(exit) => exit.into(),
        Err(error) => report_error(S::TOOL, &error),
    }
}

async fn drive<S: Step>(step: &S, aws: &AwsArgs) -> anyhow::Result<Exit> {
    let session = Session::start(aws).await?;
    let mut plan = step
        .plan(&session)
        .await
        .context("discovering what to delete (nothing was changed)")?;
    let header = ReportHeader {
        tool: S::TOOL.to_string(),
        step: S::STEP,
        title: S::TITLE.to_string(),
        account: session.account.clone(),
        region: session.region.clone(),
        dry_run: aws.dry_run,
    };

    if aws.dry_run || plan.to_do() == 0 {
        // Nothing will change: the report is the plan.
        return print_report(Report::new(header, plan, false), aws, false);
    }

    // Without --yes the whole plan is shown before the question. With --yes nobody reads it
    // before the deletion starts (clean-all has shown its combined plan already), so one line per
    // kind says what is about to go; the report at the end has every detail.
    let body = if aws.yes {
        render_plan_brief(&plan)
    } else {
        render_plan(&plan)
    };
    let shown = format!(
        "Step {}/7: {} - account {}, region {}\n{body}",
        S::STEP,
        S::TITLE,
        session.account,
        session.region,
    );
    // The plan is for people: on stdout in text mode, on stderr when stdout carries JSON.
    if aws.quiet == 0 {
        match aws.output {
            OutputFormat::Text => print!("{shown}"),
            OutputFormat::Json => eprint!("{shown}"),
        }
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
    let question = format!(
        "{} will change {} resource(s) in account {} ({}).",
        S::TOOL,
        plan.to_do(),
        session.account,
        session.region
    );
    if confirm(&question, aws.yes)? == Answer::Abort {
        return Err(crate::errors::bad_input("aborted: nothing was deleted"));
    }

    let ctx = ApplyContext {
        progress: Progress::new(!aws.no_progress && aws.quiet == 0),
        interrupt: Interrupt::on_ctrl_c(),
    };
    let applied = step.apply(&session, &mut plan, &ctx).await;
    let interrupted = ctx.interrupt.is_raised();
    let unreached = match (&applied, interrupted) {
        (_, true) => Outcome::skipped("interrupted before it was reached"),
        (Err(error), false) => Outcome::failed(error),
        (Ok(()), false) => Outcome::skipped("not reached"),
    };
    for action in plan.actions.iter_mut().filter(|a| a.outcome.is_none()) {
        action.outcome = Some(unreached.clone());
    }
    if let Err(error) = &applied {
        tracing::error!("{error:#}");
    }
    print_report(Report::new(header, plan, interrupted), aws, aws.quiet == 0)
}

/// Prints the report; `heading_shown` leaves out the heading line printed before the run.
fn print_report(report: Report, aws: &AwsArgs, heading_shown: bool) -> anyhow::Result<Exit> {
    if let Some(path) = &aws.json_report {
        std::fs::write(path, report.to_json())
            .with_context(|| format!("writing the JSON report to {}", path.display()))?;
    }
    match aws.output {
        OutputFormat::Text if heading_shown => print!("{}", report.to_text_body()),
        OutputFormat::Text => print!("{}", report.to_text()),
        OutputFormat::Json => println!("{}", report.to_json()),
    }
    Ok(report.exit())
}
