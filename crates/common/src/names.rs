//! Name checks shared by the step binaries. Each service has its own rules; these helpers turn
//! a rule into one clear error line.

use crate::errors::bad_input;

/// A service's naming rule: what it is called, how long it may be, which characters it allows.
#[derive(Clone, Copy, Debug)]
pub struct NameRule {
    /// What the name names, e.g. "table".
    pub what: &'static str,
    pub min_len: usize,
    pub max_len: usize,
    /// Whether a character may appear in the name.
    pub allowed: fn(char) -> bool,
    /// The allowed characters in words, for the error message.
    pub allowed_text: &'static str,
}

impl NameRule {
    /// Checks one name against the rule.
    pub fn check(&self, name: &str) -> anyhow::Result<()> {
        let what = self.what;
        if name.trim().is_empty() {
            return Err(bad_input(format!("empty {what} name")));
        }
        let len = name.chars().count();
        if len < self.min_len || len > self.max_len {
            return Err(bad_input(format!(
                "invalid {what} name {}: must be {} to {} characters, not {len}",
                shorten(name),
                self.min_len,
                self.max_len
            )));
        }
        if let Some(bad) = name.chars().find(|&c| !(self.allowed)(c)) {
            return Err(bad_input(format!(
                "invalid {what} name {}: {bad:?} is not allowed ({})",
                shorten(name),
                self.allowed_text
            )));
        }
        Ok(())
    }
}

/// Quotes a name for an error message, cut so a 10,000-character name cannot flood the line.
pub fn shorten(name: &str) -> String {
    const KEEP: usize = 60;
    if name.chars().count() <= KEEP {
        format!("{name:?}")
    } else {
        let head: String = name.chars().take(KEEP).collect();
        format!("{head:?}... ({} characters)", name.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: NameRule = NameRule {
        what: "table",
        min_len: 3,
        max_len: 10,
        allowed: |c| c.is_ascii_alphanumeric(),
        allowed_text: "letters and digits",
    };

    #[test]
    fn accepts_a_name_within_the_rule() {
        assert!(RULE.check("Product").is_ok());
    }

    #[test]
    fn each_violation_names_itself() {
        let message = |name: &str| RULE.check(name).unwrap_err().to_string();
        assert_eq!(message(""), "empty table name");
        assert_eq!(message("  "), "empty table name");
        assert!(message("ab").contains("3 to 10 characters, not 2"));
        assert!(message("Pro;duct").contains("';' is not allowed"));
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let long = "x".repeat(5000);
        let message = RULE.check(&long).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains("5000 characters"));
    }
}
