//! Bounded exponential backoff for the waits the SDK does not do for us (ResourceConflictException,
//! a mapping still `Deleting`): the delays double from `first` up to `cap`, and stop once their
//! sum would pass `budget`.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    cap: Duration,
    budget: Duration,
    spent: Duration,
}

impl Backoff {
    pub fn new(first: Duration, cap: Duration, budget: Duration) -> Backoff {
        Backoff {
            next: first,
            cap,
            budget,
            spent: Duration::ZERO,
        }
    }

    /// The next delay, or `None` when the budget is spent.
    pub fn next_delay(&mut self) -> Option<Duration> {
        if self.spent >= self.budget {
            return None;
        }
        let delay = self.next.min(self.budget - self.spent);
        self.spent += delay;
        self.next = (self.next * 2).min(self.cap);
        Some(delay)
    }

    /// The total time the delays may take.
    pub fn budget(&self) -> Duration {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_stop_at_the_budget() {
        let mut backoff = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(4),
            Duration::from_secs(12),
        );
        let delays: Vec<u64> = std::iter::from_fn(|| backoff.next_delay())
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 4, 1]);
        assert_eq!(delays.iter().sum::<u64>(), 12);
    }
}
