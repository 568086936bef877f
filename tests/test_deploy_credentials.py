"""Where deploy credentials come from, and the one message when they are missing or half there."""
from __future__ import annotations

import json

import pytest

from devtools.cos_credentials import CredentialsError, find_credentials

SECRET = "s3cr3t-never-printed"


def test_deploy_credentials_hmac_from_the_environment(tmp_path):
    c = find_credentials({"COS_HMAC_ACCESS_KEY_ID": "key", "COS_HMAC_SECRET_ACCESS_KEY": SECRET}, home=tmp_path)
    assert c.kind == "hmac" and "COS_HMAC_ACCESS_KEY_ID" in c.source
    assert c.client_kwargs() == {"aws_access_key_id": "key", "aws_secret_access_key": SECRET}
    assert SECRET not in repr(c) and SECRET not in str(c)


def test_deploy_credentials_aws_style_names(tmp_path):
    c = find_credentials({"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": SECRET}, home=tmp_path)
    assert c.kind == "hmac" and "AWS_ACCESS_KEY_ID" in c.source


def test_deploy_credentials_cos_names_win_over_aws_names(tmp_path):
    c = find_credentials({"AWS_ACCESS_KEY_ID": "aws", "AWS_SECRET_ACCESS_KEY": "x",
                          "COS_HMAC_ACCESS_KEY_ID": "cos", "COS_HMAC_SECRET_ACCESS_KEY": "y"}, home=tmp_path)
    assert c.access_key_id == "cos"


@pytest.mark.parametrize("env, missing", [
    ({"COS_HMAC_ACCESS_KEY_ID": "key"}, "COS_HMAC_SECRET_ACCESS_KEY"),
    ({"COS_HMAC_SECRET_ACCESS_KEY": SECRET}, "COS_HMAC_ACCESS_KEY_ID"),
    ({"AWS_ACCESS_KEY_ID": "key"}, "AWS_SECRET_ACCESS_KEY"),
])
def test_deploy_credentials_half_a_pair_names_the_missing_half(tmp_path, env, missing):
    with pytest.raises(CredentialsError, match=f"{missing} is not") as info:
        find_credentials(env, home=tmp_path)
    assert SECRET not in str(info.value)


def test_deploy_credentials_iam_api_key_from_the_environment(tmp_path):
    c = find_credentials({"COS_API_KEY": SECRET, "COS_SERVICE_INSTANCE_ID": "crn:v1:instance",
                          "COS_AUTH_ENDPOINT": "https://private.iam.cloud.ibm.com/identity/token"}, home=tmp_path)
    assert c.kind == "iam" and SECRET not in repr(c)
    assert c.client_kwargs() == {"ibm_api_key_id": SECRET, "ibm_service_instance_id": "crn:v1:instance",
                                 "ibm_auth_endpoint": "https://private.iam.cloud.ibm.com/identity/token"}
    assert find_credentials({"IBM_API_KEY_ID": SECRET}, home=tmp_path).kind == "iam"  # the SDK's own names


def _service_credential(home, **fields):
    path = home / ".bluemix" / "cos_credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"apikey": "file-api-key", "resource_instance_id": "crn:v1:inst", **fields}))
    return path


def test_deploy_credentials_file_prefers_its_hmac_keys(tmp_path):
    _service_credential(tmp_path, cos_hmac_keys={"access_key_id": "fkey", "secret_access_key": SECRET})
    c = find_credentials({}, home=tmp_path)
    assert c.kind == "hmac" and c.access_key_id == "fkey" and "cos_credentials" in c.source


def test_deploy_credentials_file_api_key(tmp_path):
    _service_credential(tmp_path)
    c = find_credentials({}, home=tmp_path)
    assert c.kind == "iam" and c.api_key == "file-api-key" and c.service_instance_id == "crn:v1:inst"


def test_deploy_credentials_environment_wins_over_the_file(tmp_path):
    _service_credential(tmp_path)
    env = {"COS_HMAC_ACCESS_KEY_ID": "k", "COS_HMAC_SECRET_ACCESS_KEY": "s"}
    assert find_credentials(env, home=tmp_path).kind == "hmac"


def test_deploy_credentials_file_named_by_the_environment(tmp_path):
    path = _service_credential(tmp_path / "elsewhere")
    assert find_credentials({"COS_CREDENTIALS_FILE": str(path)}, home=tmp_path).api_key == "file-api-key"
    with pytest.raises(CredentialsError, match="does not exist"):
        find_credentials({"COS_CREDENTIALS_FILE": str(tmp_path / "nope.json")}, home=tmp_path)


@pytest.mark.parametrize("text, match", [("not json", "not JSON"), ("[1, 2]", "JSON object"),
                                         ('{"cos_hmac_keys": {"access_key_id": "k"}}', "neither")])
def test_deploy_credentials_bad_file_says_what_is_wrong(tmp_path, text, match):
    path = tmp_path / ".bluemix" / "cos_credentials"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(CredentialsError, match=match):
        find_credentials({}, home=tmp_path)


def test_deploy_credentials_missing_names_what_to_set(tmp_path):
    with pytest.raises(CredentialsError) as info:
        find_credentials({}, home=tmp_path)
    message = str(info.value)
    for name in ("COS_HMAC_ACCESS_KEY_ID", "COS_HMAC_SECRET_ACCESS_KEY", "COS_API_KEY", "~/.bluemix/cos_credentials"):
        assert name in message
