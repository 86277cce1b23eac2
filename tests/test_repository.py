"""The file hygiene that the pre-commit hooks keep, checked for every tracked file,
so that it holds for contributors who never installed pre-commit."""

from __future__ import annotations

import subprocess

from cookbook.catalogue import ROOT

BINARY = (".ico", ".png", ".jpg", ".gif", ".woff", ".woff2")


def tracked_text_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return sorted(n for n in listing.split("\0") if n and not n.endswith(BINARY))


def problems(data: bytes) -> list[str]:
    found = []
    if data.startswith(b"\xef\xbb\xbf"):
        found.append("a byte order mark")
    if b"\r\n" in data:
        found.append("CR LF line endings")
    if data and not data.endswith(b"\n"):
        found.append("no newline at the end")
    if data.endswith(b"\n\n"):
        found.append("blank lines at the end")
    lines = data.split(b"\n")
    trailing = [n for n, line in enumerate(lines, 1) if line != line.rstrip(b" \t")]
    if trailing:
        found.append(f"trailing white space on lines {trailing}")
    return found


def test_every_tracked_text_file_is_tidy() -> None:
    files = tracked_text_files()
    assert "README.md" in files
    untidy = {
        name: found for name in files if (found := problems((ROOT / name).read_bytes()))
    }
    assert untidy == {}


def test_the_tidiness_check_finds_each_problem() -> None:
    assert problems(b"ok\n") == []
    assert problems(b"\xef\xbb\xbfa\r\nb \n\n") == [
        "a byte order mark",
        "CR LF line endings",
        "blank lines at the end",
        "trailing white space on lines [2]",
    ]
    assert problems(b"no newline") == ["no newline at the end"]
