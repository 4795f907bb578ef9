#!/usr/bin/env python3
"""Creates the EasyShop workshop's resources in an emulator, as its chapters would.

Used by `cargo xtask demo` (and the end-to-end tests and the workshop benchmark) so that a reader
without an AWS account can watch the teardown. It refuses to talk to anything but a loopback
endpoint: it must never create resources in a real account.

    workshop.py --endpoint http://127.0.0.1:PORT [--suffix -2] [--decoys] [--manifest FILE]

--suffix is appended to every name (several copies of the workshop side by side); --decoys adds
resources whose names share prefixes, suffixes or case with the workshop's, which a correct
teardown leaves alone; --manifest writes the cleanup.toml that names exactly what was created.
"""

import argparse
import io
import json
import sys
import urllib.parse
import uuid
import zipfile

import boto3

REGION = "us-east-1"
LAMBDA_TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})
BASIC_EXECUTION = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
    ],
})
# Roles and the functions that use them, as in the workshop.
ROLES = {
    "lambda-dynamodb-role": ["create-product", "create-category", "delete-product"],
    "lambda-upload-original-role": ["get-presigned-url"],
    "lambda-resize-image-role": ["resize-image"],
}
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--decoys", action="store_true")
    parser.add_argument("--manifest")
    parser.add_argument("--images", type=int, default=20, help="images per bucket")
    parser.add_argument("--check-decoys", action="store_true",
                        help="create nothing; exit 1 unless every decoy still exists")
    args = parser.parse_args()

    host = urllib.parse.urlparse(args.endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"workshop.py: refusing to seed {args.endpoint}: only a local emulator")

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    client = lambda service: session.client(service, endpoint_url=args.endpoint)
    s = args.suffix
    if args.check_decoys:
        missing = Decoys(client, s).missing()
        for item in missing:
            print(f"decoy missing: {item}", file=sys.stderr)
        sys.exit(1 if missing else 0)
    created = Workshop(client, s, args.images).create()
    if args.decoys:
        Decoys(client, s).create()
    if args.manifest:
        with open(args.manifest, "w") as f:
            f.write(manifest(created, args.endpoint))
    print(json.dumps(created, indent=2))


class Workshop:
    def __init__(self, client, suffix, images):
        self.client = client
        self.s = suffix
        self.images = images
        self.created = {}

    def name(self, base):
        return base + self.s

    def create(self):
        roles = self.iam()
        self.dynamodb()
        self.lambdas(roles)
        buckets = self.s3()
        self.apigateway()
        self.cognito()
        self.cloudfront(buckets["frontend"])
        return self.created

    def iam(self):
        iam = self.client("iam")
        arns = {}
        for role in ROLES:
            name = self.name(role)
            arns[role] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
            # The console makes one customer-managed policy per role, under /service-role/.
            policy = iam.create_policy(PolicyName=f"AWSLambdaBasicExecutionRole-{uuid.uuid4()}",
                                       Path="/service-role/", PolicyDocument=BASIC_EXECUTION)
            iam.attach_role_policy(RoleName=name, PolicyArn=policy["Policy"]["Arn"])
            managed = ("AmazonDynamoDBFullAccess" if "dynamodb" in role else "AmazonS3FullAccess")
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{managed}")
            except iam.exceptions.NoSuchEntityException:
                pass  # an emulator started without AWS-managed policies (scripts/emulator.sh loads them)
            iam.put_role_policy(RoleName=name, PolicyName="inline-extra", PolicyDocument=BASIC_EXECUTION)
        self.created["roles"] = [self.name(r) for r in ROLES]
        return arns

    def dynamodb(self):
        ddb = self.client("dynamodb")
        tables = [self.name("Product"), self.name("Category")]
        for table in tables:
            ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
            for i in range(5):
                ddb.put_item(TableName=table, Item={"id": {"S": str(i)}, "name": {"S": f"item {i}"}})
        ddb.create_backup(TableName=tables[0], BackupName="before-cleanup")
        self.created["tables"] = tables

    def lambdas(self, role_arns):
        lam = self.client("lambda")
        logs = self.client("logs")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("index.mjs", "export const handler = async () => ({ statusCode: 200 });\n")
        functions = []
        for role, names in ROLES.items():
            for base in names:
                name = self.name(base)
                lam.create_function(FunctionName=name, Runtime="nodejs20.x", Handler="index.handler",
                                    Role=role_arns[role], Code={"ZipFile": code.getvalue()})
                group = f"/aws/lambda/{name}"
                logs.create_log_group(logGroupName=group)
                logs.create_log_stream(logGroupName=group, logStreamName="2025/01/01/[$LATEST]demo")
                functions.append(name)
        self.created["functions"] = functions

    def s3(self):
        s3 = self.client("s3")
        originals, resized, frontend = (self.name("upload-originals-fcj"), self.name("resized-image-fcj"),
                                        self.name("easyshop-frontend-fcj"))
        for bucket in (originals, resized, frontend):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=originals, VersioningConfiguration={"Status": "Enabled"})
        for i in range(self.images):
            key = f"products/{i:04}.png"
            s3.put_object(Bucket=originals, Key=key, Body=TINY_PNG)
            s3.put_object(Bucket=originals, Key=key, Body=TINY_PNG + b"v2")
            s3.put_object(Bucket=resized, Key=f"resized-{key}", Body=TINY_PNG)
        s3.delete_object(Bucket=originals, Key="products/0000.png")  # a delete marker
        s3.create_multipart_upload(Bucket=originals, Key="products/big.png")  # never completed
        s3.put_object(Bucket=frontend, Key="index.html", Body=b"<h1>EasyShop</h1>", ContentType="text/html")
        s3.put_bucket_website(Bucket=frontend, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
        self.created["buckets"] = [originals, resized, frontend]
        return {"frontend": frontend}

    def apigateway(self):
        api = self.client("apigateway")
        rest = api.create_rest_api(name=self.name("easyshop-api"))
        root = [r for r in api.get_resources(restApiId=rest["id"])["items"] if r["path"] == "/"][0]
        products = api.create_resource(restApiId=rest["id"], parentId=root["id"], pathPart="products")
        api.put_method(restApiId=rest["id"], resourceId=products["id"], httpMethod="GET",
                       authorizationType="NONE")
        api.put_integration(restApiId=rest["id"], resourceId=products["id"], httpMethod="GET", type="MOCK")
        api.create_deployment(restApiId=rest["id"], stageName="prod")
        plan = api.create_usage_plan(name=self.name("easyshop-plan"),
                                     apiStages=[{"apiId": rest["id"], "stage": "prod"}])
        key = api.create_api_key(name=self.name("easyshop-key"), enabled=True)
        api.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        self.created["rest_apis"] = [self.name("easyshop-api")]

    def cognito(self):
        idp = self.client("cognito-idp")
        identity = self.client("cognito-identity")
        iam = self.client("iam")
        pool = idp.create_user_pool(PoolName=self.name("easyshop-user-pool"),
                                    AutoVerifiedAttributes=["email"])["UserPool"]
        domain = f"easyshop-demo{self.s}-{uuid.uuid4().hex[:8]}".lower()
        idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
        app = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName=self.name("easyshop-web"))
        idp.admin_create_user(UserPoolId=pool["Id"], Username="demo@example.com")
        identity_name = self.name("easyshop_identity_pool").replace("-", "_")
        ip = identity.create_identity_pool(
            IdentityPoolName=identity_name, AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[{"ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}",
                                       "ClientId": app["UserPoolClient"]["ClientId"]}])
        roles = {}
        for kind in ("Auth", "Unauth"):
            role = f"Cognito_{identity_name}{kind}_Role"
            roles[kind.lower() + "enticated" if kind == "Auth" else "unauthenticated"] = iam.create_role(
                RoleName=role, AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                                   "Action": "sts:AssumeRoleWithWebIdentity"}]}))["Role"]["Arn"]
            self.created.setdefault("identity_pool_roles", []).append(role)
        try:
            identity.set_identity_pool_roles(IdentityPoolId=ip["IdentityPoolId"], Roles=roles)
        except identity.exceptions.ClientError:
            pass  # moto does not implement SetIdentityPoolRoles; the roles exist all the same
        self.created["user_pools"] = [self.name("easyshop-user-pool")]
        self.created["identity_pools"] = [identity_name]

    def cloudfront(self, frontend):
        cf = self.client("cloudfront")
        oac = cf.create_origin_access_control(OriginAccessControlConfig={
            "Name": self.name("easyshop-frontend-oac"), "SigningProtocol": "sigv4",
            "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]
        origin_id = f"{frontend}-origin"
        cf.create_distribution(DistributionConfig={
            "CallerReference": str(uuid.uuid4()),
            "Comment": f"EasyShop frontend{self.s}",
            "Enabled": True,
            "DefaultRootObject": "index.html",
            "Origins": {"Quantity": 1, "Items": [{
                "Id": origin_id, "DomainName": f"{frontend}.s3.{REGION}.amazonaws.com",
                "OriginAccessControlId": oac["Id"], "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": origin_id, "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        })
        self.created["origin_buckets"] = [frontend]


class Decoys(Workshop):
    """Resources a careful teardown must leave alone: names that share prefixes, suffixes or case
    with the workshop's."""

    def __init__(self, client, suffix):
        super().__init__(client, suffix, images=2)

    def create(self):
        ddb = self.client("dynamodb")
        for table in (self.name("ProductArchive"), self.name("product"), self.name("Category") + "-v2"):
            ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        iam = self.client("iam")
        role_arn = iam.create_role(RoleName=self.name("lambda-dynamodb-role") + "-old",
                                   AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
        iam.create_role(RoleName=self.name("Lambda-Resize-Image-Role"), AssumeRolePolicyDocument=LAMBDA_TRUST)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("index.mjs", "export const handler = async () => ({});\n")
        lam = self.client("lambda")
        for fn in (self.name("create-product") + "-v2", self.name("resize-image-old")):
            lam.create_function(FunctionName=fn, Runtime="nodejs20.x", Handler="index.handler",
                                Role=role_arn, Code={"ZipFile": code.getvalue()})
        s3 = self.client("s3")
        for bucket in (self.name("upload-originals-fcj") + "-backup", self.name("resized-image-fcj") + "-old"):
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="keep-me.png", Body=TINY_PNG)
        self.client("apigateway").create_rest_api(name=self.name("easyshop-api") + "-v2")
        self.client("cognito-idp").create_user_pool(PoolName=self.name("easyshop-user-pool") + "-old")

    def missing(self):
        """The decoys that no longer exist (looked up one by one: a shared emulator holds many)."""
        checks = []
        ddb, iam, lam, s3 = (self.client(x) for x in ("dynamodb", "iam", "lambda", "s3"))
        for table in (self.name("ProductArchive"), self.name("product"), self.name("Category") + "-v2"):
            checks.append((f"table {table}", lambda t=table: ddb.describe_table(TableName=t)))
        for role in (self.name("lambda-dynamodb-role") + "-old", self.name("Lambda-Resize-Image-Role")):
            checks.append((f"role {role}", lambda r=role: iam.get_role(RoleName=r)))
        for fn in (self.name("create-product") + "-v2", self.name("resize-image-old")):
            checks.append((f"function {fn}", lambda f=fn: lam.get_function(FunctionName=f)))
        for bucket in (self.name("upload-originals-fcj") + "-backup", self.name("resized-image-fcj") + "-old"):
            checks.append((f"bucket {bucket} with its object",
                           lambda b=bucket: s3.head_object(Bucket=b, Key="keep-me.png")))
        gone = [label for label, check in checks if not succeeds(check)]
        api_name = self.name("easyshop-api") + "-v2"
        apis = [a["name"] for page in self.client("apigateway").get_paginator("get_rest_apis").paginate()
                for a in page["items"]]
        if api_name not in apis:
            gone.append(f"rest api {api_name}")
        pool_name = self.name("easyshop-user-pool") + "-old"
        pools = [p["Name"] for page in self.client("cognito-idp").get_paginator("list_user_pools")
                 .paginate(MaxResults=60) for p in page["UserPools"]]
        if pool_name not in pools:
            gone.append(f"user pool {pool_name}")
        return gone


def succeeds(call):
    try:
        call()
        return True
    except Exception:
        return False


def manifest(created, endpoint):
    def names(key):
        return json.dumps(created.get(key, []))
    return f"""# Written by scripts/demo/workshop.py: exactly what it created in the emulator.
[aws]
endpoint_url = "{endpoint}"
region = "{REGION}"
expect_account = "123456789012"

[dynamodb]
tables = {names("tables")}
with_backups = true

[lambda]
functions = {names("functions")}

[s3]
buckets = {names("buckets")}

[apigateway]
rest_apis = {names("rest_apis")}

[cognito]
user_pools = {names("user_pools")}
identity_pools = {names("identity_pools")}

[cloudfront]
origin_buckets = {names("origin_buckets")}

[iam]
roles = {json.dumps(created.get("roles", []) + created.get("identity_pool_roles", []))}
"""


if __name__ == "__main__":
    main()
