"""Just enough PNG decoding (stdlib ``zlib``) to tell a blank screenshot from a page."""

import struct
import zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit only)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit, non-interlaced PNG."""
    if not png.startswith(_SIGNATURE):
        raise ValueError("not a PNG")
    offset, data, header = len(_SIGNATURE), b"", b""
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        chunk = png[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            data += chunk
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or interlace or colour not in _CHANNELS:
        raise ValueError("only 8-bit, non-interlaced, non-palette PNGs are supported")
    step = _CHANNELS[colour]
    raw = zlib.decompress(data)
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def non_white_share(png: bytes, *, threshold: int = 240) -> float:
    """The share of pixels with any colour channel darker than ``threshold``."""
    width, height, rows = pixels(png)
    step = len(rows[0]) // width
    colour = min(step, 3)
    dark = sum(
        1 for row in rows for x in range(0, len(row), step) if min(row[x : x + colour]) < threshold
    )
    return dark / (width * height)


def colours_in(png: bytes, box: tuple[int, int, int, int]) -> int:
    """How many distinct colours the ``(x, y, width, height)`` part of the image has."""
    width, _, rows = pixels(png)
    step = len(rows[0]) // width
    x, y, w, h = box
    return len(
        {
            row[i : i + min(step, 3)]
            for row in rows[y : y + h]
            for i in range(x * step, (x + w) * step, step)
        }
    )
