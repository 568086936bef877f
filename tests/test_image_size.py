"""web/js/image-size.js reads an upload's pixel size from its header: checked against Pillow on files of every
format it reads, including a JPEG whose frame header sits behind a large EXIF block, and the cases where it
must give up (AVIF, truncated or damaged headers) so the page falls back to an <img>."""
from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from PIL import Image

from tests.helpers import ROOT

MODULE = (ROOT / "web" / "js" / "image-size.js").as_uri()


def _sizes(files: dict[str, tuple[bytes, str]]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, cannot run web/js/image-size.js")
    payload = json.dumps({name: [list(data), kind] for name, (data, kind) in files.items()})
    code = ("import { readFileSync } from 'node:fs';"
            f"import {{ imageSize, HEADER_BYTES }} from {json.dumps(MODULE)};"
            "const files = JSON.parse(readFileSync(0, 'utf8'));"
            "const out = {};"
            "for (const [name, [data, kind]] of Object.entries(files))"
            "  out[name] = imageSize(Uint8Array.from(data).subarray(0, HEADER_BYTES), kind);"
            "console.log(JSON.stringify(out));")
    proc = subprocess.run([node, "--input-type=module", "-e", code], input=payload, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_header_sizes_match_pillow():
    rgb = Image.new("RGB", (1000, 750), (230, 225, 210))
    rgba = Image.new("RGBA", (37, 1201), (0, 0, 0, 0))
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription: the frame header ends up 60 kB into the file
    exif[0x0112] = 6  # rotated 90°: the stored size is still what the header says
    files = {
        "png": (_encode(rgba, "PNG"), "png"),
        "jpeg": (_encode(rgb, "JPEG", quality=80), "jpeg"),
        "jpeg_progressive": (_encode(rgb.resize((640, 481)), "JPEG", progressive=True), "jpeg"),
        "jpeg_big_exif": (_encode(rgb.resize((1024, 768)), "JPEG", exif=exif.tobytes()), "jpeg"),
        "gif": (_encode(rgb.resize((300, 17)).convert("P"), "GIF"), "gif"),
        "bmp": (_encode(rgb.resize((33, 44)), "BMP"), "bmp"),
        "webp_lossy": (_encode(rgb.resize((513, 129)), "WEBP", quality=70), "webp"),
        "webp_lossless": (_encode(rgb.resize((999, 3)), "WEBP", lossless=True), "webp"),
        "webp_alpha": (_encode(rgba.resize((77, 66)), "WEBP", quality=70), "webp"),
    }
    got = _sizes(files)
    for name, (data, _) in files.items():
        expect = Image.open(io.BytesIO(data)).size
        assert got[name] == {"width": expect[0], "height": expect[1]}, name


def test_unreadable_headers_give_null():
    jpeg = _encode(Image.new("RGB", (64, 48)), "JPEG")
    png = _encode(Image.new("L", (64, 48)), "PNG")
    files = {
        "avif": (b"\x00\x00\x00\x1cftypavif" + bytes(100), "avif"),
        "jpeg_cut_before_frame": (jpeg[:20], "jpeg"),
        "jpeg_garbage_after_start": (b"\xff\xd8\xff\xe0" + bytes(60), "jpeg"),
        "png_cut": (png[:20], "png"),
        "png_zero_width": (png[:16] + bytes(4) + png[20:], "png"),
        "webp_unknown_chunk": (b"RIFF\x00\x00\x00\x00WEBPXXXX" + bytes(20), "webp"),
    }
    assert _sizes(files) == {name: None for name in files}
