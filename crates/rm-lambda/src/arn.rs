//! Reading names out of ARNs: the function of an event source mapping or a CloudFront
//! association, the role of a function.

/// The function name in a Lambda function ARN, qualified or not:
/// `arn:aws:lambda:us-east-1:123456789012:function:create-product[:3|:live]` -> `create-product`.
pub(crate) fn function_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":function:")?;
    let name = rest.split(':').next()?;
    (!name.is_empty()).then_some(name)
}

/// The version or alias of a qualified function ARN (`3` or `live`), if there is one.
pub(crate) fn function_qualifier(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":function:")?;
    rest.split(':').nth(1).filter(|q| !q.is_empty())
}

/// The role name in an IAM role ARN: the last path segment
/// (`arn:aws:iam::123456789012:role/service-role/resize-image-role-abc` -> `resize-image-role-abc`).
pub(crate) fn role_name(arn: &str) -> Option<&str> {
    let (_, path) = arn.split_once(":role/")?;
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_from_qualified_and_unqualified_arns() {
        let base = "arn:aws:lambda:us-east-1:123456789012:function:create-product";
        assert_eq!(function_name(base), Some("create-product"));
        assert_eq!(function_name(&format!("{base}:3")), Some("create-product"));
        assert_eq!(
            function_name(&format!("{base}:live")),
            Some("create-product")
        );
        assert_eq!(function_qualifier(base), None);
        assert_eq!(function_qualifier(&format!("{base}:3")), Some("3"));
        assert_eq!(function_name("arn:aws:sqs:us-east-1:1:queue"), None);
    }

    #[test]
    fn a_name_is_never_a_prefix_match() {
        let v2 = "arn:aws:lambda:us-east-1:123456789012:function:create-product-v2";
        assert_eq!(function_name(v2), Some("create-product-v2"));
    }

    #[test]
    fn role_names_drop_the_path() {
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/service-role/resize-image-role-abc"),
            Some("resize-image-role-abc")
        );
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/lambda-dynamodb-role"),
            Some("lambda-dynamodb-role")
        );
        assert_eq!(role_name("arn:aws:iam::123456789012:user/alice"), None);
    }
}
