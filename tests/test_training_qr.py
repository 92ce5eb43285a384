"""The self sign-in QR image (扫码签到): the link carries the window and the current code, and
the PNG decodes, module by module, to the QR code of exactly that link."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import segno
from PIL import Image

from portal.programmes.training import signin


def png_modules(png: bytes, border: int = 4) -> list[list[bool]]:
    """Read a QR PNG back into its modules (True = dark), sampling each module's centre."""
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    assert width == height
    # the quiet zone is white all round; the first dark pixel on the diagonal is the finder's corner
    first = next(i for i in range(width) if image.getpixel((i, i)) < 128)
    scale = first // border
    count = width // scale - 2 * border
    assert (count + 2 * border) * scale == width and (count - 17) % 4 == 0, "not a whole QR symbol"
    return [
        [
            image.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2)) < 128
            for x in range(count)
        ]
        for y in range(count)
    ]


def test_the_link_carries_the_window_and_the_code() -> None:
    url = signin.signin_url("https://portal.example/", 42, "012345")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "portal.example", "/signin")
    assert parse_qs(parts.query) == {"w": ["42"], "c": ["012345"]}  # the leading zero is kept
    assert signin.signin_url("", 7, "999999") == "/signin?w=7&c=999999"
    assert signin.signin_url("http://10.0.0.5:8501/portal", 7, "1") == "http://10.0.0.5:8501/portal/signin?w=7&c=1"


def test_the_qr_png_decodes_to_the_links_code() -> None:
    url = signin.signin_url("http://192.168.1.20:8501", 12, "654321")
    png = signin.qr_png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    wanted = segno.make_qr(url, error="m", boost_error=False)
    assert not wanted.is_micro  # a full QR code: phones' camera apps do not read Micro QR
    modules = png_modules(png)
    assert modules == [[bool(cell) for cell in row] for row in wanted.matrix]
    # another code is another picture: a photo of the screen stops matching when the code turns
    other = png_modules(signin.qr_png(signin.signin_url("http://192.168.1.20:8501", 12, "654322")))
    assert other != modules


def test_the_code_inside_the_qr_rotates_with_the_code_shown() -> None:
    window: Any = SimpleNamespace(id=5, secret="s" * 64)
    at = dt.datetime(2026, 11, 30, 2, 0, 0, tzinfo=dt.UTC)
    now_code = signin.current_code(window, at)
    later_code = signin.current_code(window, at + dt.timedelta(seconds=signin.CODE_SECONDS))
    assert now_code != later_code
    first = signin.qr_png(signin.signin_url("http://h", window.id, now_code))
    second = signin.qr_png(signin.signin_url("http://h", window.id, later_code))
    qr = segno.make_qr(f"http://h/signin?w=5&c={now_code}", error="m", boost_error=False)
    assert png_modules(first) == [[bool(c) for c in r] for r in qr.matrix]
    assert first != second
