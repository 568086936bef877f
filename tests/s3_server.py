"""A real S3-compatible server for the deploy tests: moto in server mode, in its own process on 127.0.0.1.

Requests are not authenticated until `enforce_auth()`; then only the access keys of users created with
`create_user()` are accepted and every request's signature is checked, as on IBM COS.
"""
from __future__ import annotations

import contextlib
import datetime
import ipaddress
import itertools
import json
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REGION = "us-east-1"
DUMMY_KEYS = {"aws_access_key_id": "test-access-key", "aws_secret_access_key": "test-secret-key"}
_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files): the server's, and the clients' CA bundle."""
    from cryptography import x509  # moto's own dependency
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class S3Server:
    def __init__(self, proc: subprocess.Popen, url: str, ca_bundle: Path | None = None):
        self.proc, self.url, self.ca_bundle = proc, url, ca_bundle

    def client(self, **keys):
        """An ibm_boto3 S3 client for the tests' own checks (HMAC-signed, path-style)."""
        import ibm_boto3
        from ibm_botocore.config import Config
        return ibm_boto3.client("s3", endpoint_url=self.url, region_name=REGION, verify=str(self.ca_bundle or True),
                                config=Config(s3={"addressing_style": "path"}), **(keys or DUMMY_KEYS))

    def new_bucket(self) -> str:
        name = f"digits-site-{next(_names)}"
        self.client().create_bucket(Bucket=name)
        return name

    def remove_bucket(self, name: str) -> None:
        """Delete a bucket and everything in it (moto keeps objects in memory and temporary files)."""
        client = self.client()
        for key in self.objects(name):
            client.delete_object(Bucket=name, Key=key)
        client.delete_bucket(Bucket=name)

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
        urllib.request.urlopen(req, timeout=10, context=_tls(self.ca_bundle)).close()

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


def _tls(ca_bundle: Path | None) -> ssl.SSLContext | None:
    return ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else None


def start(log_path: Path, tls_dir: Path | None = None, attempts: int = 3, timeout: float = 60) -> S3Server:
    """Start `python -m moto.server` on a free port and wait until it answers. With tls_dir, it serves
    HTTPS with a fresh self-signed certificate (kept in tls_dir: the clients' CA bundle)."""
    tls, ca_bundle = [], None
    if tls_dir:
        ca_bundle, key = self_signed_cert(tls_dir)
        tls = ["-c", str(ca_bundle), "-k", str(key)]
    for _ in range(attempts):
        port = _free_port()
        log = open(log_path, "ab")
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port), *tls],
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2, context=_tls(ca_bundle)).close()
                return S3Server(proc, url, ca_bundle)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        S3Server(proc, url).stop()  # exited (the port was taken meanwhile) or never answered: try another port
    raise RuntimeError(f"moto's S3 server did not start: see {log_path} "
                       "(is moto[s3] installed? python3 build.py setup)")
