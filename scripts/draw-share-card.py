#!/usr/bin/env python3
"""Draws static/img/share-card.png, the picture a shared Kiosque link shows when its page has
none of its own (Open Graph's recommended 1200 x 630): book spines on a shelf in the public
pages' colours. Plain shapes, so the file stays small and needs no font or library.

usage: python3 scripts/draw-share-card.py
"""
import struct
import zlib
from pathlib import Path

W, H = 1200, 630
BACKGROUND = (0xFD, 0xFC, 0xF9)  # --background
SHELF = (0x08, 0x3D, 0x6E)  # --accent-dark
SPINES = [(0x0B, 0x53, 0x94), (0xB3, 0x26, 0x1E), (0xE0, 0xA4, 0x1B), (0x2E, 0x7D, 0x4F),
          (0x4A, 0x4A, 0x4A), (0x6B, 0x3F, 0x8F)]


def draw():
    rows = [bytearray(BACKGROUND * W) for _ in range(H)]

    def rect(x0, y0, x1, y1, colour):
        for y in range(max(0, y0), min(H, y1)):
            rows[y][x0 * 3:x1 * 3] = bytes(colour) * (x1 - x0)

    # Two shelves of books of varied heights and widths, deterministic.
    for shelf, shelf_y in enumerate((300, 560)):
        x, n = 120, shelf * 5
        while x < W - 160:
            width = 34 + (n * 17) % 30
            height = 150 + (n * 37) % 80
            rect(x, shelf_y - height, x + width, shelf_y, SPINES[n % len(SPINES)])
            # A band across each spine, as titles are printed.
            rect(x + 6, shelf_y - height + 24, x + width - 6, shelf_y - height + 34, BACKGROUND)
            x += width + 6 + (n % 3) * 2
            n += 1
        rect(80, shelf_y, W - 80, shelf_y + 18, SHELF)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data
                                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "static/img/share-card.png"
    out.write_bytes(draw())
    print(f"{out}: {out.stat().st_size} bytes")
