//! The chapter's seven steps, in its order: which binary does each, and under which heading.

/// One step of the chapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepInfo {
    /// 1 to 7, the chapter's numbering.
    pub number: u8,
    /// The step binary (also its package name).
    pub binary: &'static str,
    /// The chapter's heading.
    pub heading: &'static str,
    /// The manifest's table for this step.
    pub section: &'static str,
}

pub const STEPS: [StepInfo; 7] = [
    StepInfo {
        number: 1,
        binary: "rm-dynamodb",
        heading: "Delete DynamoDB Tables",
        section: "dynamodb",
    },
    StepInfo {
        number: 2,
        binary: "rm-lambda",
        heading: "Delete Lambda Functions",
        section: "lambda",
    },
    StepInfo {
        number: 3,
        binary: "rm-s3",
        heading: "Delete S3 Buckets",
        section: "s3",
    },
    StepInfo {
        number: 4,
        binary: "rm-apigateway",
        heading: "Delete Amazon API Gateway",
        section: "apigateway",
    },
    StepInfo {
        number: 5,
        binary: "rm-cognito",
        heading: "Delete Amazon Cognito",
        section: "cognito",
    },
    StepInfo {
        number: 6,
        binary: "rm-cloudfront",
        heading: "Delete Amazon CloudFront (if used)",
        section: "cloudfront",
    },
    StepInfo {
        number: 7,
        binary: "rm-iam",
        heading: "Delete IAM Roles and Policies",
        section: "iam",
    },
];

/// The CloudFront step, which clean-all starts early (disabling takes minutes to deploy).
pub const CLOUDFRONT: u8 = 6;
/// The IAM step, which receives the roles other steps leave behind.
pub const IAM: u8 = 7;

pub fn step(number: u8) -> Option<StepInfo> {
    STEPS.iter().copied().find(|s| s.number == number)
}
