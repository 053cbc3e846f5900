"""QR code matrices for links shown on screen (no Qt, no Pillow)."""

from __future__ import annotations

import struct
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import qrcode
import qrcode.constants

QUIET_ZONE = 4  # modules of light border the QR spec requires around the code


def qr_matrix(text: str) -> list[list[bool]]:
    """Return the QR code for ``text`` as rows of booleans (True = dark), quiet zone included.

    Error correction M survives a scratched or glare-struck screen; the 4-module quiet zone
    is what phone cameras need to find the code.
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1
    )
    code.add_data(text)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def with_params(url: str, **params: str) -> str:
    """Return ``url`` with query parameters added or replaced (never personal data)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def appointment_link(base_url: str, lang: str) -> str:
    """Return the online-form link for the QR code: language and source only."""
    return with_params(base_url, lang=lang, source="kiosk")


def short_display(url: str) -> str:
    """Return ``url`` without scheme and trailing slash, for the caption under a code."""
    parts = urlsplit(url)
    text = parts.netloc + parts.path
    if parts.query:
        text += "?" + parts.query
    return text.rstrip("/")


def matrix_to_svg(matrix: list[list[bool]], module: int = 10) -> str:
    """Return the code as a standalone SVG: one path of dark squares on a white square."""
    n = len(matrix)
    side = n * module
    cells = "".join(
        f"M{x * module} {y * module}h{module}v{module}h-{module}z"
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#ffffff"/>'
        f'<path d="{cells}" fill="#000000"/></svg>\n'
    )


def matrix_to_png(matrix: list[list[bool]], module: int = 10) -> bytes:
    """Return the code as an 8-bit greyscale PNG, written with zlib alone (no Pillow)."""
    n = len(matrix)
    side = n * module
    rows = bytearray()
    for row in matrix:
        line = b"\x00" + b"".join((b"\x00" if dark else b"\xff") * module for dark in row)
        rows += line * module

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
