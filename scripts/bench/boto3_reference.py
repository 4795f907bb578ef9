#!/usr/bin/env python3
"""The reference `cargo xtask bench s3` measures rm-s3 against: what a careful user writes with
boto3, following its documentation.

It lists a page (ListObjectVersions on a bucket that has versioning, ListObjectsV2 otherwise),
deletes it with one DeleteObjects (1000 keys, with version ids), and repeats until a listing
comes back empty; then it aborts incomplete multipart uploads and deletes the bucket. Serial,
one request at a time. Listing from the start each round (rather than paging on) keeps it
correct on the emulator, which loses its place when the entry a page ended on is deleted.

    boto3_reference.py --endpoint URL BUCKET
"""

import argparse

import boto3
import botocore.config


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("bucket")
    args = parser.parse_args()
    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(
            retries={"max_attempts": 10, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )
    bucket = args.bucket
    versioned = "Status" in s3.get_bucket_versioning(Bucket=bucket)

    while True:
        if versioned:
            page = s3.list_object_versions(Bucket=bucket, MaxKeys=1000)
            entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
            objects = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]
        else:
            page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1000)
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if not objects:
            break
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        if answer.get("Errors"):
            raise SystemExit(f"DeleteObjects errors: {answer['Errors'][:3]}")

    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
