"""Adding a favicon: the .ico file itself, its generator, the link and /favicon.ico."""

from __future__ import annotations

import mimetypes
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import NamedTuple

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from iconsite import create_app

# The project folder: make_favicon.py and the iconsite package sit in it.
PROJECT = Path(__file__).parent.parent
ICON = PROJECT / "iconsite" / "static" / "favicon.ico"
ICON_TYPES = {"image/vnd.microsoft.icon", "image/x-icon"}
ONE_YEAR = 365 * 24 * 60 * 60
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# File responses keep their file open until read to the end and closed:
# requests for the icon pass buffered=True, which does both.


@pytest.fixture
def redirecting_client(config: dict[str, object]) -> FlaskClient:
    return create_app({**config, "FAVICON_REDIRECT": True}).test_client()


# --- The .ico file -------------------------------------------------------------


class Entry(NamedTuple):
    width: int
    height: int
    bits: int
    data: bytes


def read_ico(icon: bytes) -> list[Entry]:
    """The images of an .ico file, checking its header on the way."""
    reserved, kind, count = struct.unpack_from("<HHH", icon)
    assert (reserved, kind) == (0, 1), "not an icon file (type 1)"
    entries = []
    for n in range(count):
        width, height, _, _, planes, bits, size, offset = struct.unpack_from(
            "<BBBBHHII", icon, 6 + 16 * n
        )
        assert planes in (0, 1)
        assert offset >= 6 + 16 * count, "image data overlaps the directory"
        assert offset + size <= len(icon), "image data runs past the end of the file"
        entries.append(Entry(width or 256, height or 256, bits, icon[offset:][:size]))
    return entries


def png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and raw scanlines of a PNG, checking every chunk's CRC."""
    assert data.startswith(PNG_SIGNATURE)
    position = len(PNG_SIGNATURE)
    chunks: dict[bytes, bytes] = {}
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack_from(">I", data, position + 8 + length)
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    assert position == len(data), "the PNG is cut short"
    width, height = struct.unpack_from(">II", chunks[b"IHDR"])
    assert b"IEND" in chunks
    return width, height, zlib.decompress(chunks[b"IDAT"])


def test_icon_holds_16_32_and_48_pixel_images() -> None:
    icon = ICON.read_bytes()
    assert struct.unpack_from("<HHH", icon) == (0, 1, 3)
    assert [(e.width, e.height, e.bits) for e in read_ico(icon)] == [
        (16, 16, 32),
        (32, 32, 32),
        (48, 48, 32),
    ]


@pytest.mark.parametrize("index", range(3))
def test_each_image_is_a_whole_png_or_bmp_of_its_size(index: int) -> None:
    entry = read_ico(ICON.read_bytes())[index]
    if entry.data.startswith(PNG_SIGNATURE):
        width, height, pixels = png_size_and_pixels(entry.data)
        assert (width, height) == (entry.width, entry.height)
        # RGBA: a filter byte and 4 bytes a pixel on each scanline.
        assert len(pixels) == height * (1 + 4 * width)
    else:  # a BMP entry: a BITMAPINFOHEADER, twice the height (image + mask)
        header_size, width, double_height = struct.unpack_from("<Iii", entry.data)
        assert header_size == 40
        assert (width, double_height) == (entry.width, 2 * entry.height)


def test_icon_is_not_one_image_repeated() -> None:
    images = [entry.data for entry in read_ico(ICON.read_bytes())]
    assert len(set(images)) == 3


def test_make_favicon_reproduces_the_committed_icon(tmp_path: Path) -> None:
    output = tmp_path / "favicon.ico"
    result = subprocess.run(
        [sys.executable, str(PROJECT / "make_favicon.py"), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == ICON.read_bytes(), (
        "static/favicon.ico is not what make_favicon.py draws: run "
        "`python make_favicon.py` beside iconsite/ and commit the result"
    )


# --- The link in every page ------------------------------------------------------


def icon_links(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [
        str(link["href"])
        for link in soup.find_all("link", href=True)
        if "icon" in (link.get("rel") or [])
    ]


def test_pages_link_the_icon_file(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert icon_links(response.text) == ["/static/favicon.ico"]
    icon = client.get("/static/favicon.ico", buffered=True)
    assert icon.status_code == 200
    assert icon.mimetype in ICON_TYPES
    assert icon.data == ICON.read_bytes()


def test_a_page_without_the_link_still_finds_the_icon_at_the_root(
    client: FlaskClient,
) -> None:
    """Flask's own error pages link no icon: browsers then ask /favicon.ico."""
    response = client.get("/favicon.png")
    assert response.status_code == 404, response.text
    assert icon_links(response.text) == []
    icon = client.get("/favicon.ico", buffered=True)
    assert icon.status_code == 200, icon.text
    assert icon.data == ICON.read_bytes()


# --- /favicon.ico, served ---------------------------------------------------------


def test_favicon_route_answers_with_the_icon(client: FlaskClient) -> None:
    response = client.get("/favicon.ico", buffered=True)
    assert response.status_code == 200, response.text
    assert response.mimetype in ICON_TYPES
    assert response.data == ICON.read_bytes()


def test_favicon_route_names_its_type_whatever_the_machine_guesses(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A static file's type is guessed from the machine's table (/etc/mime.types,
    the Windows registry); /favicon.ico always answers with the IANA type."""
    mimetypes.init()  # load the machine's table now, so the change below holds
    monkeypatch.setitem(mimetypes.types_map, ".ico", "image/x-icon")
    static = client.get("/static/favicon.ico", buffered=True)
    assert static.mimetype == "image/x-icon"  # the machine's guess
    response = client.get("/favicon.ico", buffered=True)
    assert response.status_code == 200, response.text
    assert response.mimetype == "image/vnd.microsoft.icon"


def test_favicon_route_may_be_cached_for_a_year(client: FlaskClient) -> None:
    response = client.get("/favicon.ico", buffered=True)
    assert response.status_code == 200
    assert response.cache_control.max_age == ONE_YEAR
    assert response.cache_control.public
    assert not response.cache_control.no_cache
    assert response.expires is not None
    assert response.date is not None
    assert (response.expires - response.date).total_seconds() == ONE_YEAR


def test_favicon_route_answers_a_revalidation_with_304(client: FlaskClient) -> None:
    etag = client.get("/favicon.ico", buffered=True).headers["ETag"]
    response = client.get(
        "/favicon.ico", buffered=True, headers={"If-None-Match": etag}
    )
    assert response.status_code == 304
    assert response.data == b""


def test_favicon_route_accepts_only_reads(client: FlaskClient) -> None:
    response = client.post("/favicon.ico")
    assert response.status_code == 405, response.text
    assert set(response.allow) == {"GET", "HEAD", "OPTIONS"}


# --- /favicon.ico, redirected --------------------------------------------------------


def test_redirect_variant_sends_clients_to_the_static_file(
    redirecting_client: FlaskClient,
) -> None:
    response = redirecting_client.get("/favicon.ico")
    assert response.status_code == 301, response.text
    assert response.location == "/static/favicon.ico"
    followed = redirecting_client.get(response.location, buffered=True)
    assert followed.status_code == 200
    assert followed.data == ICON.read_bytes()


def test_redirect_keeps_the_prefix_the_app_is_mounted_under(
    config: dict[str, object],
) -> None:
    app = create_app({**config, "FAVICON_REDIRECT": True})
    client = Client(DispatcherMiddleware(NotFound(), {"/site": app}))
    response = client.get("/site/favicon.ico")
    assert response.status_code == 301
    assert response.location == "/site/static/favicon.ico"


def test_redirect_is_switched_on_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_FAVICON_REDIRECT", "true")
    client = create_app().test_client()  # as deployed: no test config
    assert client.get("/favicon.ico").status_code == 301
    assert "a permanent redirect" in client.get("/").text


def test_home_page_says_which_variant_runs(
    client: FlaskClient, redirecting_client: FlaskClient
) -> None:
    assert "cached for a year" in client.get("/").text
    assert "a permanent redirect" in redirecting_client.get("/").text
