"""Find IBM Cloud Object Storage credentials the way IBM's tools do, without ever printing a secret.

Looked up in this order (the first complete set wins):
  1. HMAC keys in the environment: COS_HMAC_ACCESS_KEY_ID + COS_HMAC_SECRET_ACCESS_KEY,
     or the AWS-style AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY;
  2. an IAM API key in the environment: COS_API_KEY (or the SDK's IBM_API_KEY_ID), with the service
     instance id in COS_SERVICE_INSTANCE_ID (or IBM_SERVICE_INSTANCE_ID);
  3. a service credential saved as JSON at $COS_CREDENTIALS_FILE or ~/.bluemix/cos_credentials (what
     `ibmcloud resource service-key` prints): its `cos_hmac_keys` if present, else its `apikey`.
COS_AUTH_ENDPOINT (or IBM_AUTH_ENDPOINT) overrides the IAM token URL, e.g. for a private endpoint.

The SDK's own lookup chain is never used: it would also try instance-metadata services and other files, and
its failures do not say what to set. Credentials are passed to the client explicitly instead.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HMAC_ENV = (("COS_HMAC_ACCESS_KEY_ID", "COS_HMAC_SECRET_ACCESS_KEY"), ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
API_KEY_ENV = ("COS_API_KEY", "IBM_API_KEY_ID")
INSTANCE_ENV = ("COS_SERVICE_INSTANCE_ID", "IBM_SERVICE_INSTANCE_ID")
AUTH_ENDPOINT_ENV = ("COS_AUTH_ENDPOINT", "IBM_AUTH_ENDPOINT")
FILE_ENV = "COS_CREDENTIALS_FILE"
DEFAULT_FILE = "~/.bluemix/cos_credentials"

HOW_TO_SET = (
    "set COS_HMAC_ACCESS_KEY_ID and COS_HMAC_SECRET_ACCESS_KEY (HMAC keys of a service credential created with "
    "'Include HMAC Credential'), or COS_API_KEY and COS_SERVICE_INSTANCE_ID (an IAM API key), or save the "
    f"service credential JSON as {DEFAULT_FILE}; see README, Deploy"
)


class CredentialsError(RuntimeError):
    """No usable credentials were found; the message says what to set."""


@dataclass(frozen=True)
class Credentials:
    """HMAC keys or an IAM API key, plus where they came from (for messages). Secrets never appear in repr."""

    source: str
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    service_instance_id: str | None = field(default=None, repr=False)
    auth_endpoint: str | None = None

    @property
    def kind(self) -> str:
        return "hmac" if self.access_key_id else "iam"

    def secrets(self) -> list[str]:
        """Every secret value, so callers (and tests) can make sure none of them is ever printed."""
        return [s for s in (self.secret_access_key, self.api_key) if s]

    def client_kwargs(self) -> dict:
        """Keyword arguments for ibm_boto3.client(): exactly one way of signing requests."""
        if self.kind == "hmac":
            return {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}
        kwargs = {"ibm_api_key_id": self.api_key, "ibm_service_instance_id": self.service_instance_id}
        if self.auth_endpoint:
            kwargs["ibm_auth_endpoint"] = self.auth_endpoint
        return kwargs


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str | None, str | None]:
    for name in names:
        if env.get(name, "").strip():
            return name, env[name].strip()
    return None, None


def _from_env(env: Mapping[str, str]) -> Credentials | None:
    for key_name, secret_name in HMAC_ENV:
        key, secret = env.get(key_name, "").strip(), env.get(secret_name, "").strip()
        if key and secret:
            return Credentials(f"environment ({key_name}, {secret_name})", access_key_id=key, secret_access_key=secret)
        if key or secret:
            missing = secret_name if key else key_name
            present = key_name if key else secret_name
            raise CredentialsError(f"{present} is set but {missing} is not: set both (HMAC keys come in pairs)")
    _, auth_endpoint = _first(env, AUTH_ENDPOINT_ENV)
    api_name, api_key = _first(env, API_KEY_ENV)
    if api_key:
        _, instance = _first(env, INSTANCE_ENV)
        return Credentials(f"environment ({api_name})", api_key=api_key, service_instance_id=instance,
                           auth_endpoint=auth_endpoint)
    return None


def _from_file(path: Path, env: Mapping[str, str]) -> Credentials:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise CredentialsError(f"cannot read {path} ({exc.strerror}): fix its permissions or {HOW_TO_SET}") from None
    except ValueError:
        raise CredentialsError(f"{path} is not JSON: save the service credential exactly as IBM Cloud shows it, "
                               f"or {HOW_TO_SET}") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{path} does not hold a service credential (a JSON object): {HOW_TO_SET}")
    hmac = data.get("cos_hmac_keys")
    if isinstance(hmac, dict) and hmac.get("access_key_id") and hmac.get("secret_access_key"):
        return Credentials(f"{path} (cos_hmac_keys)", access_key_id=str(hmac["access_key_id"]),
                           secret_access_key=str(hmac["secret_access_key"]))
    if data.get("apikey"):
        _, auth_endpoint = _first(env, AUTH_ENDPOINT_ENV)
        return Credentials(f"{path} (apikey)", api_key=str(data["apikey"]),
                           service_instance_id=data.get("resource_instance_id"),
                           auth_endpoint=auth_endpoint or data.get("iam_auth_endpoint"))
    raise CredentialsError(f"{path} has neither cos_hmac_keys nor apikey: {HOW_TO_SET}")


def find_credentials(env: Mapping[str, str] | None = None, home: Path | None = None) -> Credentials:
    """The credentials to deploy with, or CredentialsError naming what to set."""
    env = os.environ if env is None else env
    creds = _from_env(env)
    if creds:
        return creds
    if env.get(FILE_ENV, "").strip():
        path = Path(env[FILE_ENV].strip()).expanduser()
        if not path.is_file():
            raise CredentialsError(f"{FILE_ENV} points to {path}, which does not exist: {HOW_TO_SET}")
        return _from_file(path, env)
    path = (home / ".bluemix" / "cos_credentials") if home else Path(DEFAULT_FILE).expanduser()
    if path.is_file():
        return _from_file(path, env)
    raise CredentialsError(f"no IBM Cloud Object Storage credentials found: {HOW_TO_SET}")
