"""A real S3-compatible server for the deploy tests: moto in server mode, in its own process on 127.0.0.1.

Requests are not authenticated until `enforce_auth()`; then only the access keys of users created with
`create_user()` are accepted and every request's signature is checked, as on IBM COS.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

REGION = "us-east-1"
DUMMY_KEYS = {"aws_access_key_id": "test-access-key", "aws_secret_access_key": "test-secret-key"}
_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    def __init__(self, proc: subprocess.Popen, url: str):
        self.proc, self.url = proc, url

    def client(self, **keys):
        """An ibm_boto3 S3 client for the tests' own checks (HMAC-signed, path-style)."""
        import ibm_boto3
        from ibm_botocore.config import Config
        return ibm_boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                                config=Config(s3={"addressing_style": "path"}), **(keys or DUMMY_KEYS))

    def new_bucket(self) -> str:
        name = f"digits-site-{next(_names)}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str) -> dict[str, str]:
        """key -> ETag of every object in the bucket."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}

    def create_user(self, name: str) -> tuple[str, str]:
        """An IAM user allowed everything; returns its (access key id, secret access key)."""
        import boto3  # moto's own dependency; ibm_boto3 has no IAM client
        iam = boto3.client("iam", endpoint_url=self.url, region_name=REGION, **DUMMY_KEYS)
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def _set_auth(self, count: str) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=10).close()

    @contextlib.contextmanager
    def enforce_auth(self) -> Iterator[None]:
        """Check credentials and signatures inside the block. (moto cannot serve anonymous reads while it
        does, so it is off otherwise.)"""
        self._set_auth("0")
        try:
            yield
        finally:
            self._set_auth("inf")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(log_path, attempts: int = 3, timeout: float = 60) -> S3Server:
    """Start `python -m moto.server` on a free port and wait until it answers."""
    for _ in range(attempts):
        port = _free_port()
        log = open(log_path, "ab")
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
                return S3Server(proc, url)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        S3Server(proc, url).stop()  # exited (the port was taken meanwhile) or never answered: try another port
    raise RuntimeError(f"moto's S3 server did not start: see {log_path} (is moto[s3] installed? python3 build.py setup)")
