#!/usr/bin/env bash
# The reference for `cargo xtask bench workshop`: the chapter "Clean Up Resources" scripted with
# aws-cli, one command after another, as a reader would write it for their own names. It ends
# where clean-all ends (log groups, the table backup, usage plan and API key, the user pool
# domain, the origin access control and the console's role policies go too), so that both leave
# the same account behind and `cargo xtask verify` can check either.
#
#     workshop_cli.sh --endpoint URL [--aws PATH] SUFFIX...
#
# Each SUFFIX is one copy of the demo workshop (scripts/demo/workshop.py --suffix SUFFIX);
# copies are cleaned one after the other. The caller sets credentials and the region.
set -euo pipefail

ENDPOINT=""
AWS_BIN="aws"
SUFFIXES=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --endpoint) ENDPOINT="$2"; shift 2 ;;
        --aws) AWS_BIN="$2"; shift 2 ;;
        --*) echo "workshop_cli.sh: unknown option $1" >&2; exit 2 ;;
        *) SUFFIXES+=("$1"); shift ;;
    esac
done
if [[ -z "$ENDPOINT" || ${#SUFFIXES[@]} -eq 0 ]]; then
    echo "usage: workshop_cli.sh --endpoint URL [--aws PATH] SUFFIX..." >&2
    exit 2
fi
case "$ENDPOINT" in
    http://127.0.0.1:*|http://localhost:*) ;;
    *) echo "workshop_cli.sh: refusing $ENDPOINT: only a local emulator" >&2; exit 2 ;;
esac

REGION="us-east-1"
aws() { "$AWS_BIN" --endpoint-url "$ENDPOINT" --region "$REGION" "$@"; }
say() { echo "[$(date +%T)] $*" >&2; }

# The id of the user pool named $1. list-user-pools requires --max-results, and an explicit
# --max-results turns the CLI's own pagination off: follow NextToken by hand.
find_user_pool() {
    local token="" out id next
    while :; do
        out=$(aws cognito-idp list-user-pools --max-results 60 ${token:+--next-token "$token"} \
            --query "[UserPools[?Name=='$1'].Id | [0], NextToken]" --output text)
        id=${out%%$'\t'*}
        next=${out#*$'\t'}
        if [[ -n "$id" && "$id" != "None" ]]; then
            echo "$id"
            return 0
        fi
        if [[ -z "$next" || "$next" == "None" || "$next" == "$out" ]]; then
            return 1
        fi
        token=$next
    done
}

# Deletes distribution $1 once the waiter has seen it Deployed. Right after that, CloudFront may
# still answer DistributionNotDisabled for a few seconds (AWS-NOTES.md): like a reader who meets
# the error, try again after a pause (5 s, up to 12 times).
delete_distribution() {
    local etag attempt
    for attempt in $(seq 12); do
        etag=$(aws cloudfront get-distribution --id "$1" --query ETag --output text)
        if aws cloudfront delete-distribution --id "$1" --if-match "$etag" 2> /dev/null; then
            return 0
        fi
        say "delete-distribution $1 refused (attempt $attempt); trying again in 5 s"
        sleep 5
    done
    aws cloudfront delete-distribution --id "$1" --if-match "$etag"
}

clean_copy() {
    local s="$1"

    say "copy $s: 1. DynamoDB tables"
    for table in "Product$s" "Category$s"; do
        for backup in $(aws dynamodb list-backups --table-name "$table" \
                --query 'BackupSummaries[].BackupArn' --output text); do
            aws dynamodb delete-backup --backup-arn "$backup" > /dev/null
        done
        aws dynamodb delete-table --table-name "$table" > /dev/null
    done

    say "copy $s: 2. Lambda functions and their log groups"
    for fn in create-product create-category get-presigned-url resize-image delete-product; do
        aws lambda delete-function --function-name "$fn$s"
        aws logs delete-log-group --log-group-name "/aws/lambda/$fn$s"
    done

    say "copy $s: 3. S3 buckets"
    for bucket in "upload-originals-fcj$s" "resized-image-fcj$s" "easyshop-frontend-fcj$s"; do
        aws s3 rm "s3://$bucket" --recursive > /dev/null
        # A versioned bucket keeps every version and the delete markers `s3 rm` just added.
        local versions
        versions=$(aws s3api list-object-versions --bucket "$bucket" --output json \
            --query '{Objects: [Versions[].{Key: Key, VersionId: VersionId}, DeleteMarkers[].{Key: Key, VersionId: VersionId}][]}')
        if [[ $(jq '.Objects | length' <<< "$versions") -gt 0 ]]; then
            aws s3api delete-objects --bucket "$bucket" --delete "$versions" > /dev/null
        fi
        aws s3api list-multipart-uploads --bucket "$bucket" --output text \
            --query 'Uploads[].[Key, UploadId]' | while read -r key upload; do
            [[ -z "$key" || "$key" == "None" ]] && continue
            aws s3api abort-multipart-upload --bucket "$bucket" --key "$key" --upload-id "$upload"
        done
        aws s3 rb "s3://$bucket" --force > /dev/null
    done

    say "copy $s: 4. API Gateway"
    local api
    api=$(aws apigateway get-rest-apis --query "items[?name=='easyshop-api$s'].id" --output text)
    for plan in $(aws apigateway get-usage-plans \
            --query "items[?apiStages[?apiId=='$api']].id" --output text); do
        for key in $(aws apigateway get-usage-plan-keys --usage-plan-id "$plan" \
                --query 'items[].id' --output text); do
            aws apigateway delete-usage-plan-key --usage-plan-id "$plan" --key-id "$key"
            aws apigateway delete-api-key --api-key "$key"
        done
        aws apigateway update-usage-plan --usage-plan-id "$plan" \
            --patch-operations "op=remove,path=/apiStages,value=$api:prod" > /dev/null
        aws apigateway delete-usage-plan --usage-plan-id "$plan"
    done
    aws apigateway delete-rest-api --rest-api-id "$api"

    say "copy $s: 5. Cognito"
    local pool domain identity_pool
    pool=$(find_user_pool "easyshop-user-pool$s")
    domain=$(aws cognito-idp describe-user-pool --user-pool-id "$pool" \
        --query 'UserPool.Domain' --output text)
    if [[ -n "$domain" && "$domain" != "None" ]]; then
        aws cognito-idp delete-user-pool-domain --domain "$domain" --user-pool-id "$pool"
    fi
    aws cognito-idp delete-user-pool --user-pool-id "$pool"
    local identity_name="easyshop_identity_pool${s//-/_}"
    identity_pool=$(aws cognito-identity list-identity-pools --max-results 60 \
        --query "IdentityPools[?IdentityPoolName=='$identity_name'].IdentityPoolId" --output text)
    aws cognito-identity delete-identity-pool --identity-pool-id "$identity_pool"

    say "copy $s: 6. CloudFront: disable, wait until deployed, delete"
    local origin="easyshop-frontend-fcj$s.s3.$REGION.amazonaws.com"
    local dist config etag oacs tmp
    dist=$(aws cloudfront list-distributions --output text \
        --query "DistributionList.Items[?Origins.Items[?DomainName=='$origin']].Id")
    config=$(aws cloudfront get-distribution-config --id "$dist" --output json)
    etag=$(jq -r '.ETag' <<< "$config")
    oacs=$(jq -r '[.DistributionConfig.Origins.Items[].OriginAccessControlId // empty] | unique | .[]' <<< "$config")
    tmp=$(mktemp)
    jq '.DistributionConfig | .Enabled = false' <<< "$config" > "$tmp"
    aws cloudfront update-distribution --id "$dist" --if-match "$etag" \
        --distribution-config "file://$tmp" > /dev/null
    rm -f "$tmp"
    aws cloudfront wait distribution-deployed --id "$dist"
    delete_distribution "$dist"
    for oac in $oacs; do
        etag=$(aws cloudfront get-origin-access-control --id "$oac" --query ETag --output text)
        aws cloudfront delete-origin-access-control --id "$oac" --if-match "$etag"
    done

    say "copy $s: 7. IAM roles and policies"
    for role in "lambda-dynamodb-role$s" "lambda-resize-image-role$s" "lambda-upload-original-role$s" \
            "Cognito_${identity_name}Auth_Role" "Cognito_${identity_name}Unauth_Role"; do
        for arn in $(aws iam list-attached-role-policies --role-name "$role" \
                --query 'AttachedPolicies[].PolicyArn' --output text); do
            aws iam detach-role-policy --role-name "$role" --policy-arn "$arn"
            # The console's AWSLambdaBasicExecutionRole-<uuid> belongs to this role alone.
            if [[ "$arn" != arn:aws:iam::aws:* ]]; then
                aws iam delete-policy --policy-arn "$arn"
            fi
        done
        for inline in $(aws iam list-role-policies --role-name "$role" \
                --query 'PolicyNames[]' --output text); do
            aws iam delete-role-policy --role-name "$role" --policy-name "$inline"
        done
        aws iam delete-role --role-name "$role"
    done
}

for suffix in "${SUFFIXES[@]}"; do
    clean_copy "$suffix"
done
say "done: ${#SUFFIXES[@]} copies"
