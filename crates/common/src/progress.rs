//! Progress bars and spinners on stderr, drawn only on a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes. Hidden when stderr is not a terminal, with `--no-progress` or `-q`.
#[derive(Clone, Debug)]
pub struct Progress {
    multi: MultiProgress,
    enabled: bool,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let enabled = enabled && std::io::stderr().is_terminal();
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            enabled,
        }
    }

    /// Whether anything is drawn.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// A spinner with a message and the elapsed time, for waits of unknown length.
    pub fn spinner(&self, message: impl Into<String>) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// A counter of things done with a rate, for bulk work whose total is unknown.
    pub fn counter(&self, message: impl Into<String>) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::no_length());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg}: {human_pos} done, {per_sec} ({elapsed})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// Prints a line above the bars (or plainly to stderr when they are hidden).
    pub fn println(&self, line: impl AsRef<str>) {
        if self.enabled {
            let _ = self.multi.println(line.as_ref());
        } else {
            eprintln!("{}", line.as_ref());
        }
    }
}
