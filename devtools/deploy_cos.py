"""`python build.py deploy cos`: upload the built site to an IBM Cloud Object Storage bucket.

    python build.py deploy cos --bucket my-digits \
        --endpoint https://s3.us-south.cloud-object-storage.appdomain.cloud [--region us-south] \
        [--prefix FOLDER] [--prune] [--dry-run] [--website] [--public-read]

Talks the S3 API through IBM's ibm-cos-sdk (HMAC keys or an IAM API key: devtools/cos_credentials.py).
devtools/deploy_plan.py decides what to upload and in which order; this module talks to the bucket.
Requests use path-style URLs (https://ENDPOINT/BUCKET/KEY), which every S3-compatible server accepts.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from devtools.cos_credentials import HOW_TO_SET, Credentials, CredentialsError, find_credentials
from devtools.deploy_plan import (
    SHA256_META,
    LocalFile,
    Plan,
    RemoteObject,
    make_plan,
    needs_details,
    normalize_prefix,
    site_files,
)

MULTIPART_THRESHOLD = 256 * 1024 * 1024  # single PUTs below this: the ETag stays the MD5 other tools compare
_IBM_ENDPOINT = re.compile(r"^s3\.(?:private\.|direct\.)?([a-z0-9-]+)\.cloud-object-storage\.appdomain\.cloud$")
_AUTH_ERRORS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                "AuthorizationHeaderMalformed", "InvalidSecurity", "CredentialsNotSupported"}


class DeployError(RuntimeError):
    """The deployment cannot go on; the message says what was wrong and what to do."""


def default_region(endpoint: str) -> str:
    """The region in an IBM COS endpoint (s3.us-south.cloud-object-storage.appdomain.cloud -> us-south),
    else us-east-1 (any region signs requests for a custom S3-compatible server)."""
    from urllib.parse import urlsplit
    match = _IBM_ENDPOINT.match(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else "us-east-1"


def make_client(creds: Credentials, endpoint: str, region: str, timeout: float = 30, attempts: int = 3):
    import ibm_boto3
    from ibm_botocore.config import Config
    config = Config(
        s3={"addressing_style": "path"},
        connect_timeout=timeout, read_timeout=timeout * 2,
        retries={"max_attempts": attempts, "mode": "standard"},
        # IAM API keys authenticate with a bearer token rather than a request signature.
        **({"signature_version": "oauth"} if creds.kind == "iam" else {}),
    )
    return ibm_boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config, **creds.client_kwargs())


class _Errors:
    """Turns the SDK's exceptions into one clear DeployError (never including a secret)."""

    def __init__(self, creds: Credentials, endpoint: str, bucket: str):
        self.creds, self.endpoint, self.bucket = creds, endpoint, bucket

    def __call__(self, exc: Exception, doing: str) -> DeployError:
        from ibm_botocore import exceptions as e
        if isinstance(exc, e.ClientError):
            err = exc.response.get("Error", {})
            code, status = str(err.get("Code", "")), exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _AUTH_ERRORS or status == 401:
                return DeployError(f"{self.endpoint} rejected the credentials from {self.creds.source} "
                                   f"({code or status}) while {doing}: check the key and secret, or {HOW_TO_SET}")
            if code in ("NoSuchBucket",) or (status == 404 and doing.startswith("listing")):
                return DeployError(f"bucket {self.bucket!r} does not exist at {self.endpoint}: create it first "
                                   "(README, Deploy) or check --bucket, --endpoint and --region")
            if code == "AccessDenied" or status == 403:
                return DeployError(f"access denied while {doing} in bucket {self.bucket!r} with the credentials from "
                                   f"{self.creds.source}: they need the Writer (or Manager) role on the bucket")
            message = f"{self.endpoint} answered {code or status} while {doing}: {err.get('Message', '')}"
            return DeployError(message.rstrip(": "))
        if isinstance(exc, e.CredentialRetrievalError):
            return DeployError(f"IBM Cloud IAM did not accept the API key from {self.creds.source}: check it, "
                               f"or {HOW_TO_SET}")
        if isinstance(exc, (e.EndpointConnectionError, e.ConnectTimeoutError, e.ReadTimeoutError)):
            return DeployError(f"cannot reach {self.endpoint} while {doing}: check --endpoint (e.g. "
                               "https://s3.us-south.cloud-object-storage.appdomain.cloud) and the network")
        if isinstance(exc, e.SSLError):
            return DeployError(f"TLS to {self.endpoint} failed while {doing}: check the endpoint's host name")
        return DeployError(f"{type(exc).__name__} while {doing}: {exc}")


class Progress:
    """A progress bar on stderr in plain text: redrawn in place on a terminal, a line per file in logs."""

    def __init__(self, total_bytes: int, total_files: int, out: TextIO = sys.stderr, width: int = 30):
        self.total_bytes, self.total_files, self.out, self.width = max(total_bytes, 1), total_files, out, width
        self.done_bytes = self.done_files = 0
        self.tty = hasattr(out, "isatty") and out.isatty()
        self._last_draw = 0.0

    def _bar(self) -> str:
        filled = int(self.width * self.done_bytes / self.total_bytes)
        return (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done_files}/{self.total_files} files "
                f"{self.done_bytes / 1e6:6.2f}/{self.total_bytes / 1e6:.2f} MB")

    def bytes_sent(self, n: int) -> None:
        self.done_bytes += n
        now = time.monotonic()
        if self.tty and now - self._last_draw > 0.1:
            self._last_draw = now
            self.out.write("\r" + self._bar())
            self.out.flush()

    def file_done(self, key: str) -> None:
        self.done_files += 1
        self.out.write(("\r" if self.tty else "") + self._bar() + f"  {key}" + ("\x1b[K" if self.tty else "\n"))
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


def list_remote(client, bucket: str, prefix: str) -> dict[str, RemoteObject]:
    remote = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            remote[obj["Key"]] = RemoteObject(obj["Key"], int(obj["Size"]), str(obj.get("ETag", "")))
    return remote


def add_details(client, bucket: str, obj: RemoteObject) -> RemoteObject:
    head = client.head_object(Bucket=bucket, Key=obj.key)
    return RemoteObject(obj.key, int(head["ContentLength"]), str(head.get("ETag", obj.etag)),
                        head.get("Metadata", {}).get(SHA256_META), head.get("ContentType"), head.get("CacheControl"))


def read_bucket(client, bucket: str, prefix: str, local: list[LocalFile], error: _Errors) -> dict[str, RemoteObject]:
    """The objects under prefix; those that may equal a site file also with their checksum and headers."""
    try:
        remote = list_remote(client, bucket, prefix)
    except Exception as exc:
        raise error(exc, f"listing bucket {bucket!r}") from None
    by_key = {f.key: f for f in local}
    for key, obj in remote.items():
        if key in by_key and needs_details(by_key[key], obj):
            try:
                remote[key] = add_details(client, bucket, obj)
            except Exception as exc:
                raise error(exc, f"reading {key}") from None
    return remote


def upload(client, bucket: str, plan: Plan, public_read: bool, progress: Progress, error: _Errors) -> None:
    from ibm_boto3.s3.transfer import TransferConfig
    transfer = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, use_threads=False)
    try:
        for item in plan.uploads:
            f = item.file
            extra = {"ContentType": f.content_type, "CacheControl": f.cache_control,
                     "Metadata": {SHA256_META: f.sha256}}
            if public_read:
                extra["ACL"] = "public-read"
            try:
                client.upload_file(str(f.path), bucket, f.key, ExtraArgs=extra, Callback=progress.bytes_sent,
                                   Config=transfer)
            except Exception as exc:
                raise error(exc, f"uploading {f.key}") from None
            progress.file_done(f.key)
    finally:
        progress.close()
    if public_read:  # objects uploaded earlier keep their ACL: make sure they are readable too
        for f in plan.unchanged:
            try:
                client.put_object_acl(Bucket=bucket, Key=f.key, ACL="public-read")
            except Exception as exc:
                raise error(exc, f"making {f.key} public") from None


def delete(client, bucket: str, keys: list[str], out: TextIO, error: _Errors) -> None:
    for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
        batch = keys[start:start + 1000]
        try:
            objects = [{"Key": k} for k in batch]
            result = client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        except Exception as exc:
            raise error(exc, "deleting stale objects") from None
        if result.get("Errors"):
            failed = ", ".join(f"{e.get('Key')} ({e.get('Code')})" for e in result["Errors"])
            raise DeployError(f"could not delete: {failed}")
        for key in batch:
            print(f"deleted {key}", file=out)


def deploy(site: Path, bucket: str, endpoint: str, *, region: str | None = None, prefix: str = "", prune: bool = False,
           dry_run: bool = False, website: bool = False, public_read: bool = False, creds: Credentials | None = None,
           out: TextIO = sys.stdout, err: TextIO = sys.stderr, attempts: int = 3) -> Plan:
    """Make the bucket hold exactly `site` under `prefix` (extra objects are deleted only with prune).
    Returns the plan it carried out (or, with dry_run, would have)."""
    prefix = normalize_prefix(prefix)
    local = site_files(site, prefix)
    creds = creds or find_credentials()
    client = make_client(creds, endpoint, region or default_region(endpoint), attempts=attempts)
    error = _Errors(creds, endpoint, bucket)
    plan = make_plan(local, read_bucket(client, bucket, prefix, local, error), prune, prefix)

    where = f"{endpoint.rstrip('/')}/{bucket}/{prefix}"
    print(f"Deploying {site} to {where}" + (" (dry run: nothing is changed)" if dry_run else ""), file=out)
    if dry_run:
        print(plan.describe(), file=out)
        if website:
            print("would turn on static website hosting (index and error document: index.html)", file=out)
        if public_read:
            print(f"would make all {len(local)} objects publicly readable (ACL public-read)", file=out)
        return plan

    upload(client, bucket, plan, public_read, Progress(plan.upload_bytes, len(plan.uploads), err), error)
    delete(client, bucket, plan.deletes, out, error)  # only now: the old page may still use these files
    for key in plan.stale:
        print(f"kept {key}: not in the site (--prune deletes it)", file=out)
    if website:
        try:
            client.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
                "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "index.html"}})
        except Exception as exc:
            raise error(exc, "turning on static website hosting") from None
        print("static website hosting is on (index and error document: index.html)", file=out)
    print(f"done: {len(plan.uploads)} uploaded ({plan.upload_bytes / 1e6:.2f} MB), {len(plan.unchanged)} unchanged, "
          f"{len(plan.deletes)} deleted, {len(plan.stale)} stale kept", file=out)
    return plan


def main(argv: list[str] | None = None, *, build=None) -> int:
    """Command line. `build` builds the site into a folder and returns it (build.py passes its own)."""
    ap = argparse.ArgumentParser(prog="build.py deploy cos", description=__doc__.splitlines()[0])
    ap.add_argument("--bucket", required=True, help="bucket name (it must exist)")
    ap.add_argument("--endpoint", required=True,
                    help="S3 endpoint URL, e.g. https://s3.us-south.cloud-object-storage.appdomain.cloud")
    ap.add_argument("--region", help="signing region (default: taken from an IBM endpoint, else us-east-1)")
    ap.add_argument("--prefix", default="", help="folder in the bucket to deploy into (default: the bucket's root)")
    ap.add_argument("--site", type=Path, help="deploy this built site as it is (default: build site/ first)")
    ap.add_argument("--prune", action="store_true", help="delete objects under the prefix that are not in the site")
    ap.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    ap.add_argument("--website", action="store_true", help="turn on static website hosting (index.html)")
    ap.add_argument("--public-read", action="store_true", help="make every object readable by anyone (ACL public-read)")
    args = ap.parse_args(argv)
    try:
        site = args.site if args.site else build()
        deploy(site, args.bucket, args.endpoint, region=args.region, prefix=args.prefix, prune=args.prune,
               dry_run=args.dry_run, website=args.website, public_read=args.public_read)
    except (DeployError, CredentialsError, FileNotFoundError, ValueError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndeploy: interrupted; the previous index.html and sw.js are still live (they go last): "
              "run the same command again to finish", file=sys.stderr)
        return 130
    return 0
