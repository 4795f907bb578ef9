#!/usr/bin/env python3
"""Fills identical buckets for `cargo xtask bench s3`.

Every bucket named gets the same keys: one small object per key, or, with --versioned, two
versions of each key and a delete marker on top (3 entries per key). Runs with the emulator's
virtualenv python (boto3 comes with moto).

    seed_s3.py --endpoint URL --objects N [--versioned] BUCKET...
"""

import argparse
import concurrent.futures

import boto3
import botocore.config

THREADS = 16


def client(endpoint):
    config = botocore.config.Config(
        max_pool_connections=THREADS * 2,
        retries={"max_attempts": 10, "mode": "standard"},
        s3={"addressing_style": "path"},
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def key(i):
    return f"images/{i // 1000:04d}/photo-{i:07d}.jpg"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--objects", type=int, required=True)
    parser.add_argument("--versioned", action="store_true")
    parser.add_argument("buckets", nargs="+")
    args = parser.parse_args()
    s3 = client(args.endpoint)

    for bucket in args.buckets:
        s3.create_bucket(Bucket=bucket)
        if args.versioned:
            s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            )

    def put(job):
        bucket, i, body = job
        s3.put_object(Bucket=bucket, Key=key(i), Body=body)

    rounds = [b"first version"] + ([b"second version"] if args.versioned else [])
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for body in rounds:
            jobs = [(b, i, body) for i in range(args.objects) for b in args.buckets]
            for _ in pool.map(put, jobs):
                pass

    if args.versioned:
        for bucket in args.buckets:
            for start in range(0, args.objects, 1000):
                batch = [{"Key": key(i)} for i in range(start, min(start + 1000, args.objects))]
                answer = s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
                )
                if answer.get("Errors"):
                    raise SystemExit(f"seeding delete markers in {bucket}: {answer['Errors'][:3]}")


if __name__ == "__main__":
    main()
