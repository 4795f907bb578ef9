//! Who the running credentials belong to, from STS GetCallerIdentity's ARN: rm-iam never
//! deletes that role, and never detaches a policy from that role or user.

/// The identity behind the credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The ARN as STS gave it.
    pub arn: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: policy ARNs are built in the same partition.
    pub partition: String,
    pub identity: Identity,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// An assumed role (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), SSO permission sets
    /// included (their roles are `AWSReservedSSO_...`).
    Role(String),
    /// An IAM user (`arn:aws:iam::ACCOUNT:user/PATH/NAME`).
    User(String),
    /// The root user, a federated user, or something unrecognised: no role or user to protect.
    Other,
}

impl Caller {
    pub fn from_arn(arn: &str) -> Caller {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let partition = parts
            .get(1)
            .filter(|p| !p.is_empty())
            .unwrap_or(&"aws")
            .to_string();
        let identity = match (parts.get(2), parts.get(5)) {
            (Some(&"sts"), Some(resource)) if resource.starts_with("assumed-role/") => resource
                .split('/')
                .nth(1)
                .filter(|name| !name.is_empty())
                .map_or(Identity::Other, |name| Identity::Role(name.to_string())),
            // GetCallerIdentity never answers a role ARN, but an ARN passed around may be one.
            (Some(&"iam"), Some(resource)) if resource.starts_with("role/") => {
                last_segment(resource).map_or(Identity::Other, Identity::Role)
            }
            (Some(&"iam"), Some(resource)) if resource.starts_with("user/") => {
                last_segment(resource).map_or(Identity::Other, Identity::User)
            }
            _ => Identity::Other,
        };
        Caller {
            arn: arn.to_string(),
            partition,
            identity,
        }
    }

    /// Whether the credentials belong to this role.
    pub fn is_role(&self, name: &str) -> bool {
        matches!(&self.identity, Identity::Role(role) if role == name)
    }

    /// Whether the credentials belong to this user.
    pub fn is_user(&self, name: &str) -> bool {
        matches!(&self.identity, Identity::User(user) if user == name)
    }
}

fn last_segment(resource: &str) -> Option<String> {
    resource
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assumed_role_session_maps_to_its_role() {
        let caller = Caller::from_arn(
            "arn:aws:sts::123456789012:assumed-role/lambda-dynamodb-role/my-session",
        );
        assert_eq!(
            caller.identity,
            Identity::Role("lambda-dynamodb-role".into())
        );
        assert!(caller.is_role("lambda-dynamodb-role"));
        assert!(!caller.is_role("lambda-dynamodb-role-2"));
        assert_eq!(caller.partition, "aws");
    }

    #[test]
    fn sso_sessions_map_to_the_reserved_role() {
        let caller = Caller::from_arn(
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/jane@example.com",
        );
        assert!(caller.is_role("AWSReservedSSO_Admin_0123abcd"));
    }

    #[test]
    fn users_keep_their_name_without_the_path() {
        let caller = Caller::from_arn("arn:aws-cn:iam::123456789012:user/ops/deployer");
        assert_eq!(caller.identity, Identity::User("deployer".into()));
        assert!(caller.is_user("deployer"));
        assert!(!caller.is_role("deployer"));
        assert_eq!(caller.partition, "aws-cn");
    }

    #[test]
    fn root_and_unknown_protect_nothing() {
        for arn in [
            "arn:aws:iam::123456789012:root",
            "arn:aws:sts::123456789012:federated-user/bob",
            "",
            "not an arn",
        ] {
            assert_eq!(Caller::from_arn(arn).identity, Identity::Other, "{arn}");
        }
    }
}
