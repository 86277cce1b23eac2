"""Draw the site's favicon and write it as a 16, 32 and 48 pixel .ico file.

    $ python make_favicon.py            # writes iconsite/static/favicon.ico

Standard library only. Each size is drawn at its own resolution (a 16 px
icon scaled down from 48 px turns to mush) and stored as a PNG, which every
browser and Windows since Vista reads inside an .ico. The output depends
only on this script, so the tests can check that the committed file is what
it makes.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

SIZES = (16, 32, 48)
OUTPUT = Path(__file__).parent / "iconsite" / "static" / "favicon.ico"
SAMPLES = 4  # 4 x 4 samples per pixel smooth the edges

Color = tuple[int, int, int, int]  # red, green, blue, alpha
TRANSPARENT: Color = (0, 0, 0, 0)
TILE: Color = (11, 95, 173, 255)  # the stylesheet's --accent
GLASS: Color = (246, 248, 250, 255)
LIQUID: Color = (245, 166, 35, 255)


def shape(u: float, v: float) -> Color:
    """The colour at (u, v) in a unit square, v pointing down: a lab flask on a tile."""
    # The tile: a square with rounded corners.
    r = 0.2
    du = max(r - u, u - (1 - r), 0.0)
    dv = max(r - v, v - (1 - r), 0.0)
    if du * du + dv * dv > r * r:
        return TRANSPARENT
    # The flask: a lip, a neck, and a body that widens towards the bottom.
    x = abs(u - 0.5)
    if 0.13 <= v <= 0.2 and x <= 0.15:
        return GLASS
    if 0.2 <= v <= 0.42 and x <= 0.09:
        return GLASS
    if 0.42 <= v <= 0.86 and x <= 0.09 + (v - 0.42) * (0.32 - 0.09) / 0.44:
        return LIQUID if v >= 0.6 else GLASS
    return TILE


def pixels(size: int) -> list[list[Color]]:
    """The icon drawn at `size` x `size` pixels, each the average of its samples."""
    n = SAMPLES * SAMPLES
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            total = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    u = (x + (sx + 0.5) / SAMPLES) / size
                    v = (y + (sy + 0.5) / SAMPLES) / size
                    red, green, blue, alpha = shape(u, v)
                    # Sum colours weighted by alpha, so transparent samples
                    # do not darken the edge.
                    total[0] += red * alpha
                    total[1] += green * alpha
                    total[2] += blue * alpha
                    total[3] += alpha
            alpha_sum = total[3]
            if alpha_sum == 0:
                row.append(TRANSPARENT)
                continue
            # Integer rounding only: the same bytes on every machine.
            red, green, blue = ((c + alpha_sum // 2) // alpha_sum for c in total[:3])
            row.append((red, green, blue, (alpha_sum + n // 2) // n))
        rows.append(row)
    return rows


def png(rows: list[list[Color]]) -> bytes:
    """An 8-bit RGBA PNG of the rows, with no optional chunks (no timestamp)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    height, width = len(rows), len(rows[0])
    # Each scanline starts with its filter type, 0 (none).
    raw = b"".join(b"\x00" + bytes(c for pixel in row for c in pixel) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 6 = RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images: dict[int, bytes]) -> bytes:
    """An .ico file: a 6-byte header, a 16-byte entry per image, then the images."""
    header = struct.pack("<HHH", 0, 1, len(images))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(images)
    entries, data = b"", b""
    for size, image in images.items():
        entries += struct.pack(
            "<BBBBHHII",
            size % 256,  # width; 0 would mean 256
            size % 256,  # height
            0,  # palette colours: none
            0,  # reserved
            1,  # colour planes
            32,  # bits per pixel
            len(image),
            offset + len(data),
        )
        data += image
    return header + entries + data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    output: Path = parser.parse_args().output
    icon = ico({size: png(pixels(size)) for size in SIZES})
    output.write_bytes(icon)
    print(f"Wrote {output} ({len(icon):,} bytes, {', '.join(map(str, SIZES))} px)")


if __name__ == "__main__":
    main()
