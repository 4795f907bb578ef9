//! verify after a teardown done by hand: the distribution and the role are gone, but the OAC,
//! the OAI and the console's policy they used remain. verify names them (and not the decoys),
//! prints the commands that delete them; once those ran, verify exits 0. The account is a moto
//! of the test's own, behind the real-AWS behaviour proxy.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::{bin_dir, text, workspace, xtask};
use testkit::proxy::{Proxy, ProxyConfig};

use testkit::unique_name;

/// Runs a boto3 script with the emulator's python against `endpoint` (as `E`), with `ARGS` (a
/// JSON object) parsed into `A`; returns what it prints as JSON.
fn boto3(endpoint: &str, args: &Value, body: &str) -> Value {
    let script = format!(
        "import boto3, json, sys, uuid\n\
         A = json.loads(sys.argv[1])\n\
         s = boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing', region_name='us-east-1')\n\
         cf = s.client('cloudfront', endpoint_url='{endpoint}')\n\
         iam = s.client('iam', endpoint_url='{endpoint}')\n\
         def oac(name):\n    \
             return cf.create_origin_access_control(OriginAccessControlConfig={{'Name': name, 'SigningProtocol': 'sigv4', 'SigningBehavior': 'always', 'OriginAccessControlOriginType': 's3'}})['OriginAccessControl']['Id']\n\
         def oai(comment):\n    \
             return cf.create_cloud_front_origin_access_identity(CloudFrontOriginAccessIdentityConfig={{'CallerReference': str(uuid.uuid4()), 'Comment': comment}})['CloudFrontOriginAccessIdentity']['Id']\n\
         def policy(name, function):\n    \
             doc = {{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'logs:CreateLogGroup', 'Resource': 'arn:aws:logs:us-east-1:123456789012:*'}}, {{'Effect': 'Allow', 'Action': ['logs:CreateLogStream', 'logs:PutLogEvents'], 'Resource': ['arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/' + function + ':*']}}]}}\n    \
             return iam.create_policy(PolicyName=name, Path='/service-role/', PolicyDocument=json.dumps(doc))['Policy']['Arn']\n\
         def exists(call):\n    \
             try:\n        call()\n        return True\n    \
             except Exception:\n        return False\n\
         {body}"
    );
    let output = Command::new(workspace().join("target/emulator/venv/bin/python"))
        .args(["-c", &script, &args.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "boto3: {}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A step binary, as verify's hint says to run it, with `-y`.
fn step_binary(binary: &str, args: &[&str], proxy: &Proxy) -> Output {
    testkit::hermetic(&mut Command::new(bin_dir().join(binary)))
        .args(args)
        .args(["-y", "--no-progress", "--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap()
}

#[test]
fn verify_names_orphaned_origin_access_and_console_policies_until_they_are_deleted() {
    let moto = testkit::PrivateMoto::start();
    let proxy = Proxy::start(
        ProxyConfig::aws(moto.endpoint())
            .cloudfront_deploy_time(Duration::ZERO)
            .cloudfront_settle_time(Duration::ZERO),
    )
    .unwrap();
    let bucket = unique_name("frontend").to_lowercase();
    let function = unique_name("resize-image");
    let role = unique_name("lambda-resize-image-role");
    let names = serde_json::json!({
        "bucket": bucket,
        "function": function,
        "role": role,
        "policy": unique_name("AWSLambdaBasicExecutionRole"),
        "decoy_policy": unique_name("AWSLambdaBasicExecutionRole"),
        "demo_like": unique_name("easyshop-frontend-oac"),
    });
    // What the teardown by hand left: the console's OAC and OAI for the bucket (their
    // distribution deleted), and the console's policy of a deleted execution role (IAM, like
    // the proxy, may answer DeleteConflict for a moment after the detach). Decoys: an
    // OAC made for a bucket whose name extends the workshop's, an OAC named like the demo's, an
    // OAI for another bucket, and an unattached console policy of another function.
    let made = boto3(
        proxy.endpoint(),
        &names,
        "b = A['bucket']\n\
         out = {'oac': oac(b + '.s3.us-east-1.amazonaws.com'), 'oai': oai('access-identity-' + b + '.s3.amazonaws.com')}\n\
         out['policy'] = policy(A['policy'], A['function'])\n\
         iam.create_role(RoleName=A['role'], AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': []}))\n\
         iam.attach_role_policy(RoleName=A['role'], PolicyArn=out['policy'])\n\
         iam.detach_role_policy(RoleName=A['role'], PolicyArn=out['policy'])\n\
         for attempt in range(50):\n    \
             try:\n        iam.delete_role(RoleName=A['role'])\n        break\n    \
             except iam.exceptions.DeleteConflictException:\n        __import__('time').sleep(0.2)\n\
         out['decoy_oac'] = oac(b + '-old.s3.us-east-1.amazonaws.com')\n\
         out['demo_like'] = oac(A['demo_like'])\n\
         out['decoy_oai'] = oai('access-identity-' + b + '-old.s3.amazonaws.com')\n\
         out['decoy_policy'] = policy(A['decoy_policy'], A['function'] + '-v2')\n\
         print(json.dumps(out))",
    );
    let id = |key: &str| made[key].as_str().unwrap().to_string();
    let oac_name = format!("{bucket}.s3.us-east-1.amazonaws.com");
    let decoy_oac_name = format!("{bucket}-old.s3.us-east-1.amazonaws.com");
    let policy_name = names["policy"].as_str().unwrap().to_string();
    let decoy_policy_name = names["decoy_policy"].as_str().unwrap().to_string();
    let demo_like_name = names["demo_like"].as_str().unwrap().to_string();
    let (oai, decoy_oac, decoy_oai) = (id("oai"), id("decoy_oac"), id("decoy_oai"));

    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("cleanup.toml");
    std::fs::write(
        &manifest,
        format!(
            "[lambda]\nfunctions = [\"{function}\"]\n\n[s3]\nbuckets = [\"{bucket}\"]\n\n\
             [cloudfront]\norigin_buckets = [\"{bucket}\"]\n\n[iam]\nroles = [\"{role}\"]\n"
        ),
    )
    .unwrap();
    let manifest = manifest.display().to_string();
    proxy.clear_log();

    let verify = xtask(&["verify", "--config", &manifest])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    let stdout = String::from_utf8_lossy(&verify.stdout);
    for (what, needle) in [
        ("the OAC", oac_name.as_str()),
        ("the OAI", oai.as_str()),
        ("the console policy", policy_name.as_str()),
        (
            "the command for the OAC and OAI",
            &format!("rm-cloudfront --unused-origin-access-for-bucket {bucket}") as &str,
        ),
        (
            "the command for the policy",
            &format!("rm-iam --unattached-policies-for-function {function}") as &str,
        ),
    ] {
        assert!(stdout.contains(needle), "{what} not named: {stdout}");
    }
    for (what, needle) in [
        ("decoy OAC", decoy_oac_name.as_str()),
        ("decoy OAC id", decoy_oac.as_str()),
        ("demo-like OAC", demo_like_name.as_str()),
        ("decoy OAI", decoy_oai.as_str()),
        ("decoy policy", decoy_policy_name.as_str()),
    ] {
        assert!(!stdout.contains(needle), "{what} reported: {stdout}");
    }
    assert_eq!(proxy.mutating_calls(), vec![], "verify changed something");

    // Delete them with the binaries, as verify says.
    let cloudfront = step_binary(
        "rm-cloudfront",
        &["--unused-origin-access-for-bucket", &bucket],
        &proxy,
    );
    assert_eq!(cloudfront.status.code(), Some(0), "{}", text(&cloudfront));
    let rm_iam = step_binary(
        "rm-iam",
        &["--unattached-policies-for-function", &function],
        &proxy,
    );
    assert_eq!(rm_iam.status.code(), Some(0), "{}", text(&rm_iam));

    let verify = xtask(&["verify", "--config", &manifest])
        .args(["--endpoint-url", proxy.endpoint()])
        .output()
        .unwrap();

    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    let left = boto3(
        proxy.endpoint(),
        &made,
        "print(json.dumps({\n\
             'oac': exists(lambda: cf.get_origin_access_control(Id=A['oac'])),\n\
             'oai': exists(lambda: cf.get_cloud_front_origin_access_identity(Id=A['oai'])),\n\
             'policy': exists(lambda: iam.get_policy(PolicyArn=A['policy'])),\n\
             'decoy_oac': exists(lambda: cf.get_origin_access_control(Id=A['decoy_oac'])),\n\
             'demo_like': exists(lambda: cf.get_origin_access_control(Id=A['demo_like'])),\n\
             'decoy_oai': exists(lambda: cf.get_cloud_front_origin_access_identity(Id=A['decoy_oai'])),\n\
             'decoy_policy': exists(lambda: iam.get_policy(PolicyArn=A['decoy_policy']))}))",
    );
    assert_eq!(
        left,
        serde_json::json!({
            "oac": false, "oai": false, "policy": false,
            "decoy_oac": true, "demo_like": true, "decoy_oai": true, "decoy_policy": true
        })
    );
}
