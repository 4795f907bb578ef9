//! API Gateway v1: AWS allows one DeleteRestApi per 30 seconds per account.
//!
//! moto deletes as fast as it is asked (AWS-NOTES.md, "API Gateway"). The proxy answers 429
//! `TooManyRequestsException` (with `Retry-After`) to a DeleteRestApi that comes inside the
//! window of the last successful one, or while another is in flight.

use std::time::Instant;

use http::StatusCode;

use super::{Exchange, Verdict, missing};
use crate::proxy::config::Rule;
use crate::proxy::server::{Answer, State, lock};
use crate::proxy::shape;

#[derive(Default)]
pub(crate) struct Tracker {
    /// When the last successful DeleteRestApi was answered.
    last_delete: Option<Instant>,
    /// A DeleteRestApi is at moto now: a second one would race it past the window.
    in_flight: bool,
}

fn applies(state: &State, ex: &Exchange<'_>) -> bool {
    ex.call.operation == "DeleteRestApi" && state.config.is_enabled(Rule::RestApiDeleteRate)
}

/// The 429 answer if a DeleteRestApi now would exceed the rate; with `reserve`, a call that
/// may go ahead is marked in flight.
fn check_rate(state: &State, ex: &Exchange<'_>, reserve: bool) -> Option<Verdict> {
    let window = state.config.timings.rest_api_delete_window;
    let mut tracker = lock(&state.rules.apigateway);
    let remaining = tracker
        .last_delete
        .map(|at| (at + window).saturating_duration_since(Instant::now()))
        .filter(|left| !left.is_zero());
    if tracker.in_flight || remaining.is_some() {
        let retry_after = remaining
            .map_or(1, |left| left.as_secs_f64().ceil() as u64)
            .max(1);
        let mut resp = shape::error(
            ex.call,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Too Many Requests",
        );
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, retry_after.into());
        return Some(Verdict::Respond(resp, Rule::RestApiDeleteRate));
    }
    if reserve {
        tracker.in_flight = true;
    }
    None
}

pub(crate) async fn before(state: &State, ex: &Exchange<'_>) -> Verdict {
    let rate = applies(state, ex);
    // AWS throttles before it looks the API up.
    if rate && let Some(refused) = check_rate(state, ex, false) {
        return refused;
    }
    if let refused @ Verdict::Respond(..) = missing::before(state, ex).await {
        return refused;
    }
    // Checked again: another delete may have started while the API was looked up.
    if rate && let Some(refused) = check_rate(state, ex, true) {
        return refused;
    }
    Verdict::Forward
}

pub(crate) fn after(state: &State, ex: &Exchange<'_>, answer: Option<&mut Answer>) -> Option<Rule> {
    if !applies(state, ex) {
        return None;
    }
    let mut tracker = lock(&state.rules.apigateway);
    tracker.in_flight = false;
    if answer.is_some_and(|a| a.is_success()) {
        tracker.last_delete = Some(Instant::now());
    }
    None
}
