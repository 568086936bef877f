"""What a deployment must do, worked out from the built site and what the bucket already holds. No network.

Each site file becomes an object with the Content-Type the local server sends (devtools/server.py) and a
Cache-Control from `cache_control()`. Comparing checksums with the bucket's objects gives the plan: upload
what is new or changed, leave the rest, and (with --prune) delete objects that are no longer in the site.

Upload order keeps the live site working if a deployment stops half way: every other file first, then
index.html, then sw.js, then the deletions. Visitors with the service worker keep using their cached copy
until sw.js changes, and the new sw.js precaches everything at install, so it must arrive after all the
files it lists, index.html included (otherwise it would cache the old page under the new version).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from devtools.server import content_type
from pymodel.checksum import sha256_file

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# A runtime in a folder named after its version, e.g. vendor/pyodide-314.0.7/ or vendor/tfjs-4.22.0/: a new
# version gets a new folder, so nothing at these URLs ever changes (PyScript's content-hashed chunks live
# in vendor/pyscript-<version>/ too).
_VERSIONED_VENDOR = re.compile(r"^vendor/[^/]+?-v?\d+(?:\.\d+)+(?:[-+.]?[0-9A-Za-z.]+)?/")
# Whatever folder they are in, these say which build is live, so browsers must always ask.
_ALWAYS_REVALIDATE = {"index.html", "sw.js", "config.json", "pyscript.toml", "pyscript.json"}
LAST = ("index.html", "sw.js")  # uploaded in this order after everything else
SHA256_META = "sha256"  # object metadata (x-amz-meta-sha256): the site file's sha256, checked on the next deploy

_CHUNK = 1 << 20


def cache_control(path: str) -> str:
    """Cache-Control for a site-relative path (forward slashes)."""
    name = path.rsplit("/", 1)[-1]
    if name in _ALWAYS_REVALIDATE or name.endswith(".webmanifest"):
        return REVALIDATE
    return IMMUTABLE if _VERSIONED_VENDOR.match(path) else REVALIDATE


@dataclass(frozen=True)
class LocalFile:
    path: Path
    key: str
    size: int
    md5: str
    sha256: str
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class RemoteObject:
    """What the bucket says about one object. `sha256`, `content_type` and `cache_control` come from a HEAD
    request and are None when it was not needed (the sizes differ) or the object lacks them."""

    key: str
    size: int
    etag: str
    sha256: str | None = None
    content_type: str | None = None
    cache_control: str | None = None


@dataclass(frozen=True)
class Upload:
    file: LocalFile
    reason: str  # "new", "changed" or "headers"


@dataclass
class Plan:
    uploads: list[Upload] = field(default_factory=list)  # in upload order
    unchanged: list[LocalFile] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # keys, deleted only with prune
    stale: list[str] = field(default_factory=list)  # keys no longer in the site, kept (no prune)

    @property
    def upload_bytes(self) -> int:
        return sum(u.file.size for u in self.uploads)

    def summary(self) -> str:
        kept = f", {len(self.stale)} stale kept (--prune deletes them)" if self.stale else ""
        return (f"{len(self.uploads)} to upload ({self.upload_bytes / 1e6:.2f} MB), {len(self.unchanged)} unchanged, "
                f"{len(self.deletes)} to delete{kept}")

    def describe(self) -> str:
        """One line per action, for --dry-run and the log."""
        lines = [f"upload  {u.file.key}  ({u.reason}, {u.file.size} bytes, {u.file.content_type}, "
                 f"{u.file.cache_control})" for u in self.uploads]
        lines += [f"delete  {key}" for key in self.deletes]
        lines += [f"stale   {key}  (kept: not in the site; --prune deletes it)" for key in self.stale]
        return "\n".join(lines + [self.summary()])


def _md5(path: Path) -> str:
    """What S3 reports as the ETag of a single-part upload: how objects put by other tools are compared."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def normalize_prefix(prefix: str) -> str:
    """'' or 'a/b/' (no leading slash, one trailing slash): the folder in the bucket the site goes to."""
    prefix = prefix.strip().strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise ValueError(f"bad prefix {prefix!r}: use a plain folder path such as 'digits' or 'apps/digits'")
    return f"{prefix}/" if prefix else ""


def site_files(site: Path, prefix: str = "") -> list[LocalFile]:
    """Every file of the built site as the object it becomes, sorted by key."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"{site} is not a built site (no index.html): run `python3 build.py` first")
    files = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        files.append(LocalFile(path, prefix + rel, path.stat().st_size, _md5(path), sha256_file(path),
                               content_type(rel), cache_control(rel)))
    return files


def needs_details(local: LocalFile, remote: RemoteObject) -> bool:
    """Whether deciding needs the object's headers (a HEAD request): only when the sizes match."""
    return local.size == remote.size


def _same_bytes(local: LocalFile, remote: RemoteObject) -> bool:
    if remote.sha256:
        return remote.sha256 == local.sha256
    # Objects put by other tools carry no sha256; a single-part upload's ETag is its MD5.
    return remote.etag.strip('"').lower() == local.md5


def _upload_order(uploads: list[Upload], prefix: str) -> list[Upload]:
    last = [prefix + name for name in LAST]
    return sorted(uploads, key=lambda u: (last.index(u.file.key) + 1 if u.file.key in last else 0, u.file.key))


def make_plan(local: list[LocalFile], remote: dict[str, RemoteObject], prune: bool, prefix: str = "") -> Plan:
    """Compare the site with the objects under `prefix` (keyed by object key)."""
    plan = Plan()
    uploads = []
    for f in local:
        obj = remote.get(f.key)
        if obj is None:
            uploads.append(Upload(f, "new"))
        elif f.size != obj.size or not _same_bytes(f, obj):
            uploads.append(Upload(f, "changed"))
        elif (obj.content_type, obj.cache_control) != (f.content_type, f.cache_control):
            uploads.append(Upload(f, "headers"))
        else:
            plan.unchanged.append(f)
    plan.uploads = _upload_order(uploads, prefix)
    gone = sorted(set(remote) - {f.key for f in local})
    if prune:
        plan.deletes = gone
    else:
        plan.stale = gone
    return plan
