//! Ctrl-C: the first one asks the run to stop at the next safe point and print what it did;
//! the second one exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::exit::Exit;

/// A shared "stop now" flag that long waits can `select!` on.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    raised: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    /// A flag raised by Ctrl-C (SIGINT). Must be called inside a tokio runtime.
    pub fn on_ctrl_c() -> Interrupt {
        let interrupt = Interrupt::default();
        let flag = interrupt.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            eprintln!(
                "interrupted: stopping after the requests in flight (Ctrl-C again to quit now)"
            );
            flag.raise();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(Exit::Interrupted.code()));
            }
        });
        interrupt
    }

    /// Raises the flag (Ctrl-C, or a test).
    pub fn raise(&self) {
        self.inner.raised.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_raised(&self) -> bool {
        self.inner.raised.load(Ordering::SeqCst)
    }

    /// Completes when the flag is raised (at once if it already is).
    pub async fn raised(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_raised() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_raised() {
        let interrupt = Interrupt::default();
        let waiter = {
            let interrupt = interrupt.clone();
            tokio::spawn(async move { interrupt.raised().await })
        };
        assert!(!interrupt.is_raised());
        interrupt.raise();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("waiter woke")
            .expect("task ran");
        assert!(interrupt.is_raised());
        // Raised already: completes at once.
        interrupt.raised().await;
    }
}
