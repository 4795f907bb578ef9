//! Pacing DeleteRestApi. AWS allows one call per 30 seconds per account and answers the rest
//! with 429 TooManyRequestsException (AWS-NOTES.md, "API Gateway"). Rather than hard-coding
//! 30 s, the pacer reacts to the 429s it gets: it waits for `Retry-After` when the answer has
//! one, else for a backoff that starts small and grows to 30 s; and once it has seen how far
//! apart two accepted deletes had to be, it waits that long before the next one instead of
//! provoking another 429.

use std::time::{Duration, Instant};

use common::backoff::Backoff;

/// The documented limit: the longest a single wait ever needs to be.
pub(crate) const AWS_WINDOW: Duration = Duration::from_secs(30);

/// First wait after a 429 without `Retry-After`.
const FIRST_WAIT: Duration = Duration::from_secs(2);

/// What the pacer remembers between deletes of one run.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    last_success: Option<Instant>,
    /// The spacing AWS enforced, as learned from a delete that had to wait.
    learned_gap: Option<Duration>,
    throttled_since_success: bool,
}

impl Pacer {
    /// How long to wait before the next DeleteRestApi, from what the pacer has learned.
    pub(crate) fn wait_before_next(&self, now: Instant) -> Duration {
        match (self.last_success, self.learned_gap) {
            (Some(last), Some(gap)) => (last + gap).saturating_duration_since(now),
            _ => Duration::ZERO,
        }
    }

    /// A 429: the window of the last success is still open.
    pub(crate) fn throttled(&mut self) {
        self.throttled_since_success = true;
    }

    /// An accepted delete. If it had to wait for the window, the time since the previous one is
    /// (a little more than) the window: remember it.
    pub(crate) fn succeeded(&mut self, now: Instant) {
        if self.throttled_since_success
            && let Some(last) = self.last_success
        {
            self.learned_gap = Some(now.saturating_duration_since(last).min(AWS_WINDOW));
        }
        self.last_success = Some(now);
        self.throttled_since_success = false;
    }
}

/// The waits after consecutive 429s for one API, within a total bound.
#[derive(Debug)]
pub(crate) struct ThrottleWaits {
    backoff: Backoff,
    spent: Duration,
    max: Duration,
}

impl ThrottleWaits {
    pub(crate) fn new(max: Duration) -> ThrottleWaits {
        ThrottleWaits {
            backoff: Backoff::new(FIRST_WAIT, AWS_WINDOW, Duration::MAX),
            spent: Duration::ZERO,
            max,
        }
    }

    /// The wait after a 429: `Retry-After` (whole seconds) when given, else the backoff; `None`
    /// once the total would pass the bound.
    pub(crate) fn next(&mut self, retry_after: Option<&str>) -> Option<Duration> {
        let wait = match parse_retry_after(retry_after) {
            Some(wait) => wait,
            None => self.backoff.next_delay().unwrap_or(AWS_WINDOW),
        };
        if self.spent + wait > self.max {
            return None;
        }
        self.spent += wait;
        Some(wait)
    }

    /// The total waited so far.
    pub(crate) fn spent(&self) -> Duration {
        self.spent
    }

    /// The bound.
    pub(crate) fn max(&self) -> Duration {
        self.max
    }
}

/// `Retry-After: 12` -> 12 s, capped at the documented window (an HTTP date, or nonsense, is
/// ignored: the backoff takes over).
fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    let seconds: u64 = value?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.max(1)).min(AWS_WINDOW))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_used_when_present() {
        let mut waits = ThrottleWaits::new(Duration::from_secs(600));
        assert_eq!(waits.next(Some("7")), Some(Duration::from_secs(7)));
        assert_eq!(waits.next(Some("0")), Some(Duration::from_secs(1)));
        assert_eq!(
            waits.next(Some("3600")),
            Some(AWS_WINDOW),
            "capped at the window"
        );
    }

    #[test]
    fn without_retry_after_the_backoff_grows_to_the_window() {
        let mut waits = ThrottleWaits::new(Duration::from_secs(600));
        let secs: Vec<u64> = (0..6)
            .map(|_| {
                waits
                    .next(Some("Wed, 21 Oct 2015 07:28:00 GMT"))
                    .unwrap()
                    .as_secs()
            })
            .collect();
        assert_eq!(secs, [2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn the_total_wait_is_bounded() {
        let mut waits = ThrottleWaits::new(Duration::from_secs(10));
        assert!(waits.next(Some("6")).is_some());
        assert_eq!(waits.next(Some("6")), None);
        assert_eq!(waits.spent(), Duration::from_secs(6));
    }

    #[test]
    fn the_pacer_learns_the_window_from_a_throttled_delete() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        assert_eq!(pacer.wait_before_next(start), Duration::ZERO);
        pacer.succeeded(start);
        // Nothing learned yet: the next delete goes at once (and gets a 429).
        assert_eq!(pacer.wait_before_next(start), Duration::ZERO);
        pacer.throttled();
        pacer.succeeded(start + Duration::from_secs(3));
        // Learned: 3 s between accepted deletes.
        assert_eq!(
            pacer.wait_before_next(start + Duration::from_secs(4)),
            Duration::from_secs(2)
        );
        assert_eq!(
            pacer.wait_before_next(start + Duration::from_secs(7)),
            Duration::ZERO
        );
    }

    #[test]
    fn an_unthrottled_success_teaches_nothing() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        pacer.succeeded(start);
        pacer.succeeded(start + Duration::from_secs(1));
        assert_eq!(
            pacer.wait_before_next(start + Duration::from_secs(1)),
            Duration::ZERO
        );
    }
}
