"""The deploy plan without a server: cache policy, content types, what changed, upload order, prune."""
from __future__ import annotations

import pytest

from devtools.deploy_plan import (
    IMMUTABLE,
    REVALIDATE,
    RemoteObject,
    cache_control,
    make_plan,
    normalize_prefix,
    site_files,
)
from devtools.server import MIME_TYPES, content_type


@pytest.mark.parametrize("path", [
    "vendor/pyodide-314.0.7/pyodide.asm.wasm",
    "vendor/pyodide-314.0.7/python_stdlib.zip",
    "vendor/pyodide-314.0.7/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
    "vendor/tfjs-4.22.0/tf.min.js",
    "vendor/tfjs-backend-wasm-4.22.0/tfjs-backend-wasm-simd.wasm",
    "vendor/pyscript-0.7.31/core-CPpjJT2b.js",  # PyScript's content-hashed chunks
    "vendor/pyscript-0.7.31/codemirror/index-DhsBGSyG.js",
    "vendor/pyodide-0.28.0a1/pyodide.mjs",
    "vendor/thing-v2.1/x.js",
])
def test_deploy_cache_immutable_for_version_named_runtimes(path):
    assert cache_control(path) == IMMUTABLE


@pytest.mark.parametrize("path", [
    "index.html", "sw.js", "manifest.webmanifest", "config.json", "pyscript.toml", "pyscript.json",
    # today's runtime folders are reused across versions until they are renamed
    "vendor/pyodide/pyodide.asm.wasm", "vendor/pyodide/pyodide-lock.json", "vendor/tfjs/tf.min.js",
    # the page's own code and data keep their names from build to build
    "js/app.js", "js/py-worker.mjs", "css/app.css", "model/model.json", "model/group1-shard1of1.bin",
    "py/pymodel/weights/digits.npz", "icons/icon-192.png",
    # not a version: one number, or not directly under vendor/
    "vendor/pyodide-3/pyodide.mjs", "js/vendor/tfjs-4.22.0/tf.min.js", "vendor/tfjs-4.22.0.js",
    # what says which build is live always revalidates, wherever it is
    "vendor/pyscript-0.7.31/pyscript.toml", "vendor/pyscript-0.7.31/config.json",
])
def test_deploy_cache_revalidates_everything_else(path):
    assert cache_control(path) == REVALIDATE


def test_deploy_content_types_come_from_the_local_servers_table():
    for suffix, mime in MIME_TYPES.items():
        assert content_type(f"dir/file{suffix}") == mime
    assert content_type("vendor/pyodide/pyodide.asm.wasm") == "application/wasm"
    assert content_type("js/py-worker.mjs") == "text/javascript"
    assert content_type("manifest.webmanifest") == "application/manifest+json"
    assert content_type("LICENSE.TXT") == "text/plain"  # not in the table: Python's own
    assert content_type("blob.unknownext") == "application/octet-stream"


@pytest.fixture
def tiny_site(tmp_path):
    site = tmp_path / "site"
    for rel, text in {"index.html": "<p>", "sw.js": "sw", "js/app.js": "app", "vendor/tfjs-4.22.0/tf.min.js": "tf",
                      "css/app.css": "css", "a-first.js": "a"}.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    return site


def _remote_like(files, **override):
    """What a bucket holding exactly these files (uploaded by this tool) reports."""
    out = {}
    for f in files:
        fields = dict(key=f.key, size=f.size, etag=f'"{f.md5}"', sha256=f.sha256, content_type=f.content_type,
                      cache_control=f.cache_control)
        fields.update(override.get(f.key, {}))
        out[f.key] = RemoteObject(**fields)
    return out


def test_deploy_plan_uploads_everything_to_an_empty_bucket_with_index_and_sw_last(tiny_site):
    files = site_files(tiny_site)
    plan = make_plan(files, {}, prune=False)
    keys = [u.file.key for u in plan.uploads]
    assert keys[-2:] == ["index.html", "sw.js"]
    assert sorted(keys[:-2]) == keys[:-2] == ["a-first.js", "css/app.css", "js/app.js", "vendor/tfjs-4.22.0/tf.min.js"]
    assert {u.reason for u in plan.uploads} == {"new"}
    by_key = {f.key: f for f in files}
    assert by_key["vendor/tfjs-4.22.0/tf.min.js"].cache_control == IMMUTABLE
    assert by_key["js/app.js"].content_type == "text/javascript"


def test_deploy_plan_nothing_to_do_when_the_bucket_matches(tiny_site):
    files = site_files(tiny_site)
    plan = make_plan(files, _remote_like(files), prune=True)
    assert plan.uploads == [] and plan.deletes == [] and len(plan.unchanged) == len(files)


def test_deploy_plan_finds_changed_bytes_by_checksum_even_at_equal_size(tiny_site):
    files = site_files(tiny_site)
    remote = _remote_like(files, **{"js/app.js": {"sha256": "0" * 64, "etag": '"00"'}})
    plan = make_plan(files, remote, prune=False)
    assert [(u.file.key, u.reason) for u in plan.uploads] == [("js/app.js", "changed")]


def test_deploy_plan_uses_the_md5_etag_for_objects_without_a_sha256(tiny_site):
    files = site_files(tiny_site)
    f = next(f for f in files if f.key == "css/app.css")
    same = _remote_like(files, **{"css/app.css": {"sha256": None}})
    assert make_plan(files, same, prune=False).uploads == []
    other = _remote_like(files, **{"css/app.css": {"sha256": None, "etag": '"' + "f" * 32 + '"'}})
    assert [u.file.key for u in make_plan(files, other, prune=False).uploads] == [f.key]
    multipart = _remote_like(files, **{"css/app.css": {"sha256": None, "etag": f'"{f.md5}-2"'}})
    assert [u.reason for u in make_plan(files, multipart, prune=False).uploads] == ["changed"]


def test_deploy_plan_reuploads_same_bytes_under_wrong_headers(tiny_site):
    # e.g. put there by `aws s3 sync`, which sends .mjs/.js as whatever the machine's table says
    files = site_files(tiny_site)
    remote = _remote_like(files, **{"js/app.js": {"content_type": "application/octet-stream"},
                                    "index.html": {"cache_control": None}})
    plan = make_plan(files, remote, prune=False)
    assert [(u.file.key, u.reason) for u in plan.uploads] == [("js/app.js", "headers"), ("index.html", "headers")]


def test_deploy_plan_prunes_only_when_asked(tiny_site):
    files = site_files(tiny_site)
    remote = _remote_like(files)
    remote["old/gone.js"] = RemoteObject("old/gone.js", 3, '"x"')
    kept = make_plan(files, remote, prune=False)
    assert kept.deletes == [] and kept.stale == ["old/gone.js"]
    assert "--prune" in kept.describe()
    pruned = make_plan(files, remote, prune=True)
    assert pruned.deletes == ["old/gone.js"] and pruned.stale == []
    assert "delete  old/gone.js" in pruned.describe()


def test_deploy_plan_under_a_prefix(tiny_site):
    files = site_files(tiny_site, normalize_prefix("/apps/digits/"))
    assert {f.key for f in files} >= {"apps/digits/index.html", "apps/digits/sw.js"}
    plan = make_plan(files, {}, prune=True, prefix="apps/digits/")
    assert [u.file.key for u in plan.uploads][-2:] == ["apps/digits/index.html", "apps/digits/sw.js"]
    # the cache rule looks at the path inside the site, not the key
    assert next(f for f in files if f.key.endswith("tf.min.js")).cache_control == IMMUTABLE


@pytest.mark.parametrize("bad", ["a//b", "../up", "a/./b"])
def test_deploy_prefix_must_be_a_plain_folder(bad):
    with pytest.raises(ValueError, match="prefix"):
        normalize_prefix(bad)
    assert normalize_prefix("") == "" and normalize_prefix("digits") == "digits/"


def test_deploy_refuses_a_folder_that_is_not_a_built_site(tmp_path):
    with pytest.raises(FileNotFoundError, match="python3 build.py"):
        site_files(tmp_path)
