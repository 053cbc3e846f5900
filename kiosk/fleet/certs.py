"""What a kiosk's certificate says of itself (its name and its dates), read with Python's own
TLS module: ``kiosk doctor`` checks it on any kiosk, Windows included (no Qt)."""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CertFacts:
    common_name: str
    not_before: dt.datetime
    not_after: dt.datetime


def read_certificate(path: Path) -> CertFacts | None:
    """The common name and validity of the PEM certificate at ``path``; None when it cannot
    be read as one."""
    try:
        # CPython's decoder behind SSLSocket.getpeercert(), for a file (there is no public
        # name for it; the bundle carries no other X.509 library).
        import _ssl

        info = _ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]
        subject = dict(pair for rdn in info["subject"] for pair in rdn)
        start = ssl.cert_time_to_seconds(info["notBefore"])
        end = ssl.cert_time_to_seconds(info["notAfter"])
    except (ImportError, AttributeError, OSError, ssl.SSLError, KeyError, ValueError):
        return None
    return CertFacts(
        str(subject.get("commonName", "")),
        dt.datetime.fromtimestamp(start, dt.UTC),
        dt.datetime.fromtimestamp(end, dt.UTC),
    )
