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
