//! What the user named, validated once, before any AWS call: user pools and identity pools by
//! name or id, and app clients as `CLIENT` or `POOL/CLIENT`.

use common::bad_input;
use common::names::{NameRule, shorten};

/// A user pool name (`[\w\s+=,.@-]+`, up to 128) or id (`REGION_XXXXXXXXX`, up to 55).
pub const USER_POOL_NAME: NameRule = NameRule {
    what: "user pool",
    min_len: 1,
    max_len: 128,
    allowed: |c| c.is_alphanumeric() || "_ +=,.@-".contains(c),
    allowed_text: "letters, digits, spaces and '_+=,.@-'",
};

/// An identity pool name (`[\w ]+`, up to 128) or id (`REGION:GUID`, up to 55).
pub const IDENTITY_POOL_NAME: NameRule = NameRule {
    what: "identity pool",
    min_len: 1,
    max_len: 128,
    allowed: |c| c.is_alphanumeric() || "_ -:".contains(c),
    allowed_text: "letters, digits, spaces, '_' and '-' (and ':' in an id)",
};

/// An app client name (`[\w\s+=,.@-]+`, up to 128) or id, optionally after `POOL/`.
pub const APP_CLIENT_SPEC: NameRule = NameRule {
    what: "app client",
    min_len: 1,
    max_len: 128 + 1 + 128,
    allowed: |c| c.is_alphanumeric() || "_ +=,.@-/".contains(c),
    allowed_text: "letters, digits, spaces and '_+=,.@-', with '/' between pool and client",
};

const APP_CLIENT_NAME: NameRule = NameRule {
    what: "app client",
    min_len: 1,
    max_len: 128,
    allowed: |c| c.is_alphanumeric() || "_ +=,.@-".contains(c),
    allowed_text: "letters, digits, spaces and '_+=,.@-'",
};

/// A user pool as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolRef {
    /// Looks like a pool id (`us-east-1_AbC123`). Looked up by id first, then by name (a name
    /// may look like an id).
    Id(String),
    /// Anything else: looked up by exact name among the region's pools.
    Name(String),
}

impl PoolRef {
    pub fn parse(text: &str) -> PoolRef {
        if looks_like_user_pool_id(text) {
            PoolRef::Id(text.to_string())
        } else {
            PoolRef::Name(text.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PoolRef::Id(s) | PoolRef::Name(s) => s,
        }
    }
}

/// An identity pool as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityPoolRef {
    /// `REGION:GUID`. Names cannot contain ':', so this is never a name.
    Id(String),
    Name(String),
}

impl IdentityPoolRef {
    pub fn parse(text: &str) -> anyhow::Result<IdentityPoolRef> {
        let Some((region, guid)) = text.split_once(':') else {
            return Ok(IdentityPoolRef::Name(text.to_string()));
        };
        let well_formed = common::args::validate_region(region).is_ok()
            && !guid.is_empty()
            && guid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if well_formed {
            Ok(IdentityPoolRef::Id(text.to_string()))
        } else {
            Err(bad_input(format!(
                "invalid identity pool id {}: expected REGION:GUID, e.g. us-east-1:0a1b2c3d-4e5f-6789-abcd-ef0123456789",
                shorten(text)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            IdentityPoolRef::Id(s) | IdentityPoolRef::Name(s) => s,
        }
    }
}

/// An app client to delete on its own: `CLIENT` (searched in every user pool) or
/// `POOL/CLIENT` (only in that pool). `CLIENT` is a client name or id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSpec {
    /// What the user typed, for the report.
    pub given: String,
    pub pool: Option<PoolRef>,
    pub client: String,
}

impl ClientSpec {
    pub fn parse(text: &str) -> anyhow::Result<ClientSpec> {
        let (pool, client) = match text.split_once('/') {
            None => (None, text),
            Some((pool, client)) => {
                if pool.trim().is_empty() || client.trim().is_empty() || client.contains('/') {
                    return Err(bad_input(format!(
                        "invalid --app-client {}: expected CLIENT or POOL/CLIENT (one '/', names or ids on both sides)",
                        shorten(text)
                    )));
                }
                USER_POOL_NAME.check(pool)?;
                (Some(PoolRef::parse(pool)), client)
            }
        };
        APP_CLIENT_NAME.check(client)?;
        Ok(ClientSpec {
            given: text.to_string(),
            pool,
            client: client.to_string(),
        })
    }
}

/// Everything named on the command line, deduplicated, in the order given.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub user_pools: Vec<PoolRef>,
    pub app_clients: Vec<ClientSpec>,
    pub identity_pools: Vec<IdentityPoolRef>,
}

impl Targets {
    pub fn parse(
        user_pools: &[String],
        app_clients: &[String],
        identity_pools: &[String],
    ) -> anyhow::Result<Targets> {
        let mut targets = Targets::default();
        for text in user_pools {
            let pool = PoolRef::parse(text);
            if !targets.user_pools.contains(&pool) {
                targets.user_pools.push(pool);
            }
        }
        for text in app_clients {
            let spec = ClientSpec::parse(text)?;
            if !targets.app_clients.contains(&spec) {
                targets.app_clients.push(spec);
            }
        }
        for text in identity_pools {
            let pool = IdentityPoolRef::parse(text)?;
            if !targets.identity_pools.contains(&pool) {
                targets.identity_pools.push(pool);
            }
        }
        Ok(targets)
    }
}

/// A user pool id is the region, '_', and letters and digits: `us-east-1_AbC123def`.
pub fn looks_like_user_pool_id(text: &str) -> bool {
    let Some((region, suffix)) = text.split_once('_') else {
        return false;
    };
    common::args::validate_region(region).is_ok()
        && !suffix.is_empty()
        && suffix.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_pool_ids_are_told_from_names() {
        assert_eq!(
            PoolRef::parse("us-east-1_AbC123"),
            PoolRef::Id("us-east-1_AbC123".into())
        );
        for name in [
            "easyshop-user-pool",
            "easyshop_user_pool",
            "us-east-1",
            "us-east-1_",
            "moon_abc",
        ] {
            assert_eq!(PoolRef::parse(name), PoolRef::Name(name.into()), "{name}");
        }
    }

    #[test]
    fn identity_pool_ids_need_a_region_and_a_guid() {
        assert_eq!(
            IdentityPoolRef::parse("us-east-1:0a1b2c3d-4e5f-6789-abcd-ef0123456789").unwrap(),
            IdentityPoolRef::Id("us-east-1:0a1b2c3d-4e5f-6789-abcd-ef0123456789".into())
        );
        assert_eq!(
            IdentityPoolRef::parse("easyshop_identity_pool").unwrap(),
            IdentityPoolRef::Name("easyshop_identity_pool".into())
        );
        for bad in ["us-east-1:", "pool:abc", "us-east-1:xyz"] {
            let error = IdentityPoolRef::parse(bad).unwrap_err();
            assert!(common::errors::is_bad_input(&error), "{bad}");
            assert!(error.to_string().contains("REGION:GUID"), "{error}");
        }
    }

    #[test]
    fn app_clients_are_client_or_pool_slash_client() {
        let bare = ClientSpec::parse("web-client").unwrap();
        assert_eq!(bare.pool, None);
        assert_eq!(bare.client, "web-client");
        let qualified = ClientSpec::parse("easyshop-user-pool/web-client").unwrap();
        assert_eq!(
            qualified.pool,
            Some(PoolRef::Name("easyshop-user-pool".into()))
        );
        assert_eq!(qualified.client, "web-client");
        let by_id = ClientSpec::parse("us-east-1_AbC123/1a2b3c4d5e").unwrap();
        assert_eq!(by_id.pool, Some(PoolRef::Id("us-east-1_AbC123".into())));
        for bad in ["/web", "pool/", "a/b/c", "pool/we;b"] {
            let error = ClientSpec::parse(bad).unwrap_err();
            assert!(common::errors::is_bad_input(&error), "{bad}");
        }
    }

    #[test]
    fn duplicates_are_kept_once() {
        let targets = Targets::parse(
            &["p".into(), "p".into()],
            &["c".into(), "c".into()],
            &["i".into(), "i".into()],
        )
        .unwrap();
        assert_eq!(targets.user_pools.len(), 1);
        assert_eq!(targets.app_clients.len(), 1);
        assert_eq!(targets.identity_pools.len(), 1);
    }
}
