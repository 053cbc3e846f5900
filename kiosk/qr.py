"""QR code matrices for links shown on screen (no Qt, no Pillow)."""

from __future__ import annotations

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
