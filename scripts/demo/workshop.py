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
        decoys = Decoys(client, s)
        missing = decoys.missing()
        for item in missing:
            print(f"decoy missing or changed: {item}", file=sys.stderr)
        print(f"workshop.py: {decoys.checked - len(missing)}/{decoys.checked} decoys intact")
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
    with the workshop's, in all seven services (at least 50 of them).

    Each decoy is one entry of `specs()`: a label, how to create it, and how to check that it is
    still there as it was created (a bucket with its object, a distribution still enabled, a
    table still ACTIVE...). `--check-decoys` runs every check and prints how many it checked."""

    def __init__(self, client, suffix):
        super().__init__(client, suffix, images=2)
        self.ids = {}

    def create(self):
        for label, create, _check in self.specs():
            try:
                create()
            except Exception as error:  # name the decoy: a seeding failure must be readable
                raise SystemExit(f"workshop.py: creating decoy {label}: {error}")

    def missing(self):
        """The decoys that no longer exist or were changed (looked up one by one: a shared emulator
        holds many)."""
        specs = self.specs()
        gone = [label for label, _create, check in specs if not succeeds(check)]
        self.checked = len(specs)
        return gone

    # -- the decoys ---------------------------------------------------------------------------

    def specs(self):
        s = self.s
        specs = []
        specs += self.dynamodb_decoys(s)
        specs += self.iam_decoys(s)
        specs += self.lambda_decoys(s)
        specs += self.s3_decoys(s)
        specs += self.apigateway_decoys(s)
        specs += self.cognito_decoys(s)
        specs += self.cloudfront_decoys(s)
        return specs

    def dynamodb_decoys(self, s):
        ddb = self.client("dynamodb")
        tables = [self.name("ProductArchive"), self.name("product"), self.name("Category") + "-v2",
                  self.name("PRODUCT"), "Product-v2" + s, self.name("Product") + "-backup",
                  self.name("category"), "Old" + self.name("Category")]

        def create_table(table):
            ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
            ddb.put_item(TableName=table, Item={"id": {"S": "keep"}})

        def check_table(table):
            assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
            assert "Item" in ddb.get_item(TableName=table, Key={"id": {"S": "keep"}})

        specs = [(f"table {t}", lambda t=t: create_table(t), lambda t=t: check_table(t)) for t in tables]
        archive = tables[0]
        # A backup with the target's backup name, of a table that is not a target.
        specs.append((f"backup before-cleanup of table {archive}",
                      lambda: ddb.create_backup(TableName=archive, BackupName="before-cleanup"),
                      lambda: self.expect(len(ddb.list_backups(TableName=archive)["BackupSummaries"]) == 1)))
        return specs

    def iam_decoys(self, s):
        iam = self.client("iam")
        account = "123456789012"
        old_role = self.name("lambda-dynamodb-role") + "-old"
        identity = self.name("easyshop_identity_pool").replace("-", "_")
        roles = [
            (old_role, "/"),
            (self.name("Lambda-Resize-Image-Role"), "/"),
            (self.name("lambda-upload-original-role") + "-v2", "/"),
            ("lambda-resize-image-role-backup" + s, "/"),
            # Same prefix, under the console's /service-role/ path.
            (self.name("lambda-dynamodb-role") + "-v2", "/service-role/"),
            (f"Cognito_{identity}_oldAuth_Role", "/"),
            (f"Cognito_{identity}Unauth_Role_v2", "/"),
        ]
        specs = []
        for role, path in roles:
            specs.append((f"role {path}{role}",
                          lambda r=role, p=path: iam.create_role(RoleName=r, Path=p,
                                                                 AssumeRolePolicyDocument=LAMBDA_TRUST),
                          lambda r=role: iam.get_role(RoleName=r)))
        # Customer-managed policies named like the console's, one attached to a decoy role.
        policies = [
            ("/service-role/", f"AWSLambdaBasicExecutionRole-decoy{s}", None),
            ("/service-role/", f"AWSLambdaBasicExecutionRole-decoy{s}-attached", old_role),
            ("/", self.name("easyshop-policy"), None),
        ]
        for path, name, attached_to in policies:
            arn = f"arn:aws:iam::{account}:policy{path}{name}"

            def create_policy(path=path, name=name, attached_to=attached_to):
                created = iam.create_policy(PolicyName=name, Path=path, PolicyDocument=BASIC_EXECUTION)
                if attached_to:
                    iam.attach_role_policy(RoleName=attached_to, PolicyArn=created["Policy"]["Arn"])

            def check_policy(arn=arn, attached_to=attached_to):
                iam.get_policy(PolicyArn=arn)
                if attached_to:
                    attached = iam.list_attached_role_policies(RoleName=attached_to)["AttachedPolicies"]
                    self.expect(any(p["PolicyArn"] == arn for p in attached))

            specs.append((f"policy {path}{name}", create_policy, check_policy))
        # An inline policy on a decoy role, named like the workshop's.
        specs.append((f"inline policy inline-extra of role {old_role}",
                      lambda: iam.put_role_policy(RoleName=old_role, PolicyName="inline-extra",
                                                  PolicyDocument=BASIC_EXECUTION),
                      lambda: iam.get_role_policy(RoleName=old_role, PolicyName="inline-extra")))
        return specs

    def lambda_decoys(self, s):
        lam = self.client("lambda")
        iam = self.client("iam")
        role = self.name("lambda-dynamodb-role") + "-old"
        functions = [self.name("create-product") + "-v2", self.name("resize-image-old"),
                     self.name("Create-Product"), self.name("delete-product") + "-backup",
                     "get-presigned-url-v2" + s, "old-" + self.name("create-category")]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("index.mjs", "export const handler = async () => ({});\n")

        def create(fn):
            arn = iam.get_role(RoleName=role)["Role"]["Arn"]
            lam.create_function(FunctionName=fn, Runtime="nodejs20.x", Handler="index.handler",
                                Role=arn, Code={"ZipFile": code.getvalue()})

        return [(f"function {fn}", lambda f=fn: create(f), lambda f=fn: lam.get_function(FunctionName=f))
                for fn in functions]

    def s3_decoys(self, s):
        s3 = self.client("s3")
        buckets = [self.name("upload-originals-fcj") + "-backup", self.name("resized-image-fcj") + "-old",
                   self.name("easyshop-frontend-fcj") + "-v2", "upload-originals-fcj-v2" + s,
                   "old-" + self.name("resized-image-fcj"), self.name("easyshop-frontend-fcj") + "-logs"]

        def create(bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="keep-me.png", Body=TINY_PNG)

        return [(f"bucket {b} with its object", lambda b=b: create(b),
                 lambda b=b: s3.head_object(Bucket=b, Key="keep-me.png")) for b in buckets]

    def apigateway_decoys(self, s):
        api = self.client("apigateway")
        v2 = self.client("apigatewayv2")
        rest = [self.name("easyshop-api") + "-v2", self.name("EasyShop-API"), "easyshop-api-old" + s,
                self.name("easyshop-api") + "-staging"]

        def rest_names():
            return [a["name"] for page in api.get_paginator("get_rest_apis").paginate() for a in page["items"]]

        specs = [(f"rest api {n}", lambda n=n: api.create_rest_api(name=n),
                  lambda n=n: self.expect(rest_names().count(n) == 1)) for n in rest]
        # HTTP APIs: one with exactly the target REST API's name (the manifest names a REST API).
        http = [self.name("easyshop-api"), self.name("easyshop-api") + "-http"]

        def http_names():
            names, token = [], None
            while True:
                page = v2.get_apis(**({"NextToken": token} if token else {}))
                names += [a["Name"] for a in page.get("Items", [])]
                token = page.get("NextToken")
                if not token:
                    return names

        specs += [(f"http api {n}", lambda n=n: v2.create_api(Name=n, ProtocolType="HTTP"),
                   lambda n=n: self.expect(http_names().count(n) == 1)) for n in http]
        plan, key = self.name("easyshop-plan") + "-v2", self.name("easyshop-key") + "-v2"
        specs.append((f"usage plan {plan}", lambda: api.create_usage_plan(name=plan),
                      lambda: self.expect(plan in [p["name"] for page in api.get_paginator("get_usage_plans")
                                                   .paginate() for p in page["items"]])))
        specs.append((f"api key {key}", lambda: api.create_api_key(name=key, enabled=True),
                      lambda: self.expect(key in [k["name"] for k in api.get_api_keys(nameQuery=key)["items"]])))
        return specs

    def cognito_decoys(self, s):
        idp = self.client("cognito-idp")
        identity = self.client("cognito-identity")
        pools = [self.name("easyshop-user-pool") + "-old", self.name("EasyShop-User-Pool"),
                 "easyshop-user-pool-v2" + s]

        def pool_id(name):
            ids = [p["Id"] for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60)
                   for p in page["UserPools"] if p["Name"] == name]
            self.expect(len(ids) == 1)
            return ids[0]

        specs = [(f"user pool {p}", lambda p=p: idp.create_user_pool(PoolName=p), lambda p=p: pool_id(p))
                 for p in pools]
        # An app client named like the workshop's in each decoy pool.
        for p in pools:
            specs.append((f"app client easyshop-web{s} of user pool {p}",
                          lambda p=p: idp.create_user_pool_client(UserPoolId=pool_id(p),
                                                                  ClientName=self.name("easyshop-web")),
                          lambda p=p: self.expect(
                              [c["ClientName"] for c in idp.list_user_pool_clients(
                                  UserPoolId=pool_id(p), MaxResults=60)["UserPoolClients"]]
                              == [self.name("easyshop-web")])))
        base = self.name("easyshop_identity_pool").replace("-", "_")
        identity_pools = [base + "_old", "Easyshop_identity_pool" + s.replace("-", "_"),
                          "easyshop_identity_pool_v2" + s.replace("-", "_")]

        def identity_names():
            names, token = [], None
            while True:
                page = identity.list_identity_pools(MaxResults=60, **({"NextToken": token} if token else {}))
                names += [p["IdentityPoolName"] for p in page["IdentityPools"]]
                token = page.get("NextToken")
                if not token:
                    return names

        specs += [(f"identity pool {n}",
                   lambda n=n: identity.create_identity_pool(IdentityPoolName=n,
                                                             AllowUnauthenticatedIdentities=False),
                   lambda n=n: self.expect(identity_names().count(n) == 1)) for n in identity_pools]
        return specs

    def cloudfront_decoys(self, s):
        cf = self.client("cloudfront")
        frontend = self.name("easyshop-frontend-fcj")
        oacs = [self.name("easyshop-frontend-oac") + "-v2", self.name("EasyShop-Frontend-OAC")]
        # moto lists only the first 100 origin access controls and ignores Marker (a paging loop
        # never ends), so the decoys' ids are kept in an object of a decoy bucket and each one is
        # looked up by id.
        s3 = self.client("s3")
        registry = (self.name("easyshop-frontend-fcj") + "-logs", "decoy-oac-ids.json")

        def oac_ids():
            body = s3.get_object(Bucket=registry[0], Key=registry[1])["Body"].read()
            return json.loads(body)

        def create_oac(name):
            created = cf.create_origin_access_control(OriginAccessControlConfig={
                "Name": name, "SigningProtocol": "sigv4", "SigningBehavior": "always",
                "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]
            self.ids[name] = created["Id"]
            s3.put_object(Bucket=registry[0], Key=registry[1], Body=json.dumps(self.ids).encode())

        def check_oac(name):
            oac = cf.get_origin_access_control(Id=oac_ids()[name])["OriginAccessControl"]
            self.expect(oac["OriginAccessControlConfig"]["Name"] == name)

        specs = [(f"origin access control {n}", lambda n=n: create_oac(n), lambda n=n: check_oac(n))
                 for n in oacs]
        # Distributions whose origin buckets share the target's prefix; one has the workshop's
        # comment, one is disabled, one uses a decoy OAC. Each must keep its Enabled state.
        distributions = [
            (frontend + "-v2", f"EasyShop frontend{s} v2", True, oacs[0]),
            (frontend + "-old", f"EasyShop frontend{s}", True, None),
            ("old-" + frontend, f"old EasyShop frontend{s}", False, None),
        ]

        def find(bucket):
            domain = f"{bucket}.s3.{REGION}.amazonaws.com"
            for page in cf.get_paginator("list_distributions").paginate():
                for item in page["DistributionList"].get("Items", []):
                    if any(o["DomainName"] == domain for o in item["Origins"]["Items"]):
                        return item
            return None

        def create_distribution(bucket, comment, enabled, oac):
            origin = {"Id": f"{bucket}-origin", "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
                      "S3OriginConfig": {"OriginAccessIdentity": ""}}
            if oac:
                origin["OriginAccessControlId"] = self.ids[oac]
            cf.create_distribution(DistributionConfig={
                "CallerReference": str(uuid.uuid4()), "Comment": comment, "Enabled": enabled,
                "Origins": {"Quantity": 1, "Items": [origin]},
                "DefaultCacheBehavior": {"TargetOriginId": origin["Id"], "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
            })

        def check_distribution(bucket, enabled):
            item = find(bucket)
            self.expect(item is not None and item["Enabled"] == enabled)

        specs += [(f"distribution with origin {b} ({'enabled' if e else 'disabled'})",
                   lambda b=b, c=c, e=e, o=o: create_distribution(b, c, e, o),
                   lambda b=b, e=e: check_distribution(b, e)) for b, c, e, o in distributions]
        return specs

    @staticmethod
    def expect(condition):
        if not condition:
            raise AssertionError("not as created")


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
