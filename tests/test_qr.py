"""QR matrices and the links they carry (no Qt)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kiosk.qr import QUIET_ZONE, appointment_link, qr_matrix, short_display


def test_matrix_has_quiet_zone() -> None:
    """Four light modules surround the code on every side."""
    matrix = qr_matrix("https://example.org/form")
    n = len(matrix)
    assert all(len(row) == n for row in matrix)
    for i in range(QUIET_ZONE):
        assert not any(matrix[i]) and not any(matrix[n - 1 - i])
        assert not any(row[i] for row in matrix) and not any(row[n - 1 - i] for row in matrix)
    # The finder pattern's dark corner sits right inside the quiet zone.
    assert matrix[QUIET_ZONE][QUIET_ZONE]


def test_appointment_link_carries_language_and_source_only() -> None:
    """The online-form link gets lang and source=kiosk, keeping the clinic's own parameters."""
    link = appointment_link("https://clinic.example/form?campaign=hall", "tr")
    query = parse_qs(urlsplit(link).query)
    assert query == {"campaign": ["hall"], "lang": ["tr"], "source": ["kiosk"]}


def test_short_display() -> None:
    """The caption under a code drops the scheme."""
    assert short_display("https://doi.org/10.1/x") == "doi.org/10.1/x"


def _png_pixels(data: bytes) -> tuple[int, list[bytes]]:
    """Decode our greyscale PNG (IHDR + one IDAT, filter 0) back into rows of pixels."""
    import struct
    import zlib

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 0) and width == height
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [raw[i * (width + 1) : (i + 1) * (width + 1)] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, [row[1:] for row in rows]


def test_png_poster_decodes_to_the_link() -> None:
    """The PNG written without Pillow is a valid image whose QR code reads back exactly."""
    import zxingcpp

    from kiosk.qr import matrix_to_png

    link = appointment_link("https://clinic.example/form", "en")
    width, rows = _png_pixels(matrix_to_png(qr_matrix(link), module=8))
    pixels = memoryview(b"".join(rows)).cast("B", (width, width))
    assert [b.text for b in zxingcpp.read_barcodes(pixels)] == [link]


def test_svg_poster_is_dark_on_light_with_quiet_zone() -> None:
    """The SVG has a white background square and dark modules starting after the quiet zone."""
    from kiosk.qr import matrix_to_svg

    svg = matrix_to_svg(qr_matrix("https://clinic.example/form"), module=10)
    assert svg.startswith("<svg") and 'fill="#ffffff"' in svg and 'fill="#000000"' in svg
    assert f'd="M{QUIET_ZONE * 10} {QUIET_ZONE * 10}h10' in svg
