//! What the user selected: exact names and `--match` globs, validated once, at the edge.
//!
//! Exact names are looked up directly (never listed and filtered), so a name selects that one
//! resource and nothing that merely shares a prefix. Globs are an explicit opt-in, matched
//! case-sensitively against whole names, and one that would match everything is refused unless
//! `--all` is given.

use globset::{Glob, GlobMatcher};

use crate::args::MatchArgs;
use crate::errors::bad_input;
use crate::names::NameRule;

/// The validated selection of one step binary.
#[derive(Clone, Debug)]
pub struct Selection {
    names: Vec<String>,
    globs: Vec<GlobMatcher>,
}

impl Selection {
    /// Builds a selection from the binary's name flag (`--table`), `--match` and `--all`.
    ///
    /// `flag` is used in messages ("give --table NAME or --match GLOB"). Every exact name is
    /// checked against `rule`; duplicates are dropped, first occurrence wins.
    pub fn new(
        flag: &str,
        names: &[String],
        matching: &MatchArgs,
        rule: &NameRule,
    ) -> anyhow::Result<Selection> {
        Self::from_parts(&[(flag, names, rule)], matching)
    }

    /// Like [`Selection::new`] for binaries whose names come from several flags with different
    /// rules (rm-iam's `--role` and `--policy`). Names from all flags are kept in order.
    pub fn from_parts(
        parts: &[(&str, &[String], &NameRule)],
        matching: &MatchArgs,
    ) -> anyhow::Result<Selection> {
        let mut selected = Vec::new();
        for (_, names, rule) in parts {
            for name in names.iter() {
                rule.check(name)?;
                if !selected.contains(name) {
                    selected.push(name.clone());
                }
            }
        }
        let mut globs = Vec::new();
        for pattern in &matching.globs {
            globs.push(compile_glob(pattern, matching.all)?);
        }
        if selected.is_empty() && globs.is_empty() {
            let flags: Vec<String> = parts
                .iter()
                .map(|(flag, _, _)| format!("{flag} NAME"))
                .collect();
            return Err(bad_input(format!(
                "nothing selected: give {} or --match GLOB",
                flags.join(", ")
            )));
        }
        Ok(Selection {
            names: selected,
            globs,
        })
    }

    /// The exact names, in the order given.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether any `--match` glob was given (then the binary lists the service's resources).
    pub fn has_globs(&self) -> bool {
        !self.globs.is_empty()
    }

    /// Whether a listed name matches one of the globs. Exact names are not consulted: they are
    /// looked up directly.
    pub fn matches_glob(&self, name: &str) -> bool {
        self.globs.iter().any(|glob| glob.is_match(name))
    }

    /// Whether a name is selected, by exact name or by glob.
    pub fn selects(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name) || self.matches_glob(name)
    }
}

fn compile_glob(pattern: &str, all: bool) -> anyhow::Result<GlobMatcher> {
    if pattern.trim().is_empty() {
        return Err(bad_input("empty --match pattern"));
    }
    if matches_everything(pattern) && !all {
        return Err(bad_input(format!(
            "--match {pattern:?} would select every resource: add --all if that is really what you want"
        )));
    }
    let glob = Glob::new(pattern).map_err(|error| {
        bad_input(format!(
            "invalid --match pattern {pattern:?}: {}",
            error.kind()
        ))
    })?;
    Ok(glob.compile_matcher())
}

/// A pattern made only of wildcards (`*`, `**`, `?*`) matches every non-empty name.
fn matches_everything(pattern: &str) -> bool {
    pattern.contains('*') && pattern.chars().all(|c| c == '*' || c == '?')
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: NameRule = NameRule {
        what: "table",
        min_len: 1,
        max_len: 255,
        allowed: |c| c.is_ascii_alphanumeric() || "_.-".contains(c),
        allowed_text: "letters, digits, '_', '.', '-'",
    };

    fn matching(globs: &[&str], all: bool) -> MatchArgs {
        MatchArgs {
            globs: globs.iter().map(|g| g.to_string()).collect(),
            all,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn exact_names_select_only_themselves() {
        let selection = Selection::new(
            "--table",
            &names(&["Product"]),
            &matching(&[], false),
            &RULE,
        )
        .unwrap();
        assert!(selection.selects("Product"));
        assert!(!selection.selects("ProductArchive"));
        assert!(!selection.selects("product"));
        assert!(
            !selection.matches_glob("Product"),
            "exact names are not globs"
        );
    }

    #[test]
    fn duplicate_names_are_kept_once() {
        let selection = Selection::new(
            "--table",
            &names(&["Product", "Category", "Product"]),
            &matching(&[], false),
            &RULE,
        )
        .unwrap();
        assert_eq!(selection.names(), ["Product", "Category"]);
    }

    #[test]
    fn globs_match_whole_names_case_sensitively() {
        let selection =
            Selection::new("--table", &[], &matching(&["easyshop-*"], false), &RULE).unwrap();
        assert!(selection.matches_glob("easyshop-orders"));
        assert!(!selection.matches_glob("EasyShop-orders"));
        assert!(!selection.matches_glob("my-easyshop-orders"));
    }

    #[test]
    fn wildcard_only_patterns_need_all() {
        for pattern in ["*", "**", "?*", "*?*"] {
            let error = Selection::new("--table", &[], &matching(&[pattern], false), &RULE)
                .unwrap_err()
                .to_string();
            assert!(error.contains("--all"), "{pattern}: {error}");
            assert!(Selection::new("--table", &[], &matching(&[pattern], true), &RULE).is_ok());
        }
    }

    #[test]
    fn nothing_selected_is_bad_input() {
        let error = Selection::new("--table", &[], &matching(&[], false), &RULE).unwrap_err();
        assert!(crate::errors::is_bad_input(&error));
        assert_eq!(
            error.to_string(),
            "nothing selected: give --table NAME or --match GLOB"
        );
    }

    #[test]
    fn invalid_names_and_patterns_are_bad_input() {
        for error in [
            Selection::new("--table", &names(&[""]), &matching(&[], false), &RULE).unwrap_err(),
            Selection::new("--table", &names(&["a b"]), &matching(&[], false), &RULE).unwrap_err(),
            Selection::new("--table", &[], &matching(&["[abc"], false), &RULE).unwrap_err(),
            Selection::new("--table", &[], &matching(&[""], false), &RULE).unwrap_err(),
        ] {
            assert!(crate::errors::is_bad_input(&error), "{error}");
        }
    }
}
