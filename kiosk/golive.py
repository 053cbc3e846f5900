"""The go-live gate: what must be real, not a placeholder or a default, before patients see it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# "[Clinic legal name]", "[İçeriği gözden geçiren hekim]": the clinic's own words still to come.
_BRACKETED = re.compile(r"\[[^\]]*\]")
_FILLERS = re.compile(r"(?i)\b(?:lorem ipsum|todo|tbd|xxx+|placeholder|to be filled in)\b")
# RFC 2606 / 6761 names that can never be a clinic's real site.
_EXAMPLE_HOSTS = re.compile(
    r"(?i)(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$"
)


def is_placeholder(text: str) -> bool:
    """Whether ``text`` is empty or still a placeholder the clinic has to replace."""
    stripped = text.strip()
    return not stripped or bool(_BRACKETED.search(stripped) or _FILLERS.search(stripped))


def is_example_url(url: str) -> bool:
    """Whether ``url`` points at an example or reserved domain rather than a real site."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return True
    return not host or bool(_EXAMPLE_HOSTS.search(host.rstrip(".")))
