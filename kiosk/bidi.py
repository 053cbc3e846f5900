"""Right-to-left text: the marks and isolates that keep mixed Arabic and Latin text in the
order it is meant to be read (Unicode's bidirectional algorithm; no Qt)."""

from __future__ import annotations

import re
import unicodedata

RLM = "\u200f"  # right-to-left mark: an invisible right-to-left letter
LRI = "\u2066"  # left-to-right isolate ... PDI
RLI = "\u2067"  # right-to-left isolate ... PDI
FSI = "\u2068"  # first-strong isolate ... PDI
PDI = "\u2069"


def first_strong(text: str) -> str | None:
    """ "L" or "R" for the direction of the first letter that has one (Arabic and Hebrew
    are "R"), None when there is none (digits, punctuation and spaces only)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


# A number in groups ("+90 532 123 45 67", "0212 555 01 23", "(0212) 555-0123"): in a
# right-to-left paragraph each group keeps its digits' order but the groups are laid out
# right to left ("23 01 555 0212"), and a leading "+" lands at the far end.
_GROUPED_NUMBER = re.compile(r"\+?\(?\d+\)?(?:[ \u00a0.()-]+\d+)+|\+\d+")


def ltr_numbers(text: str) -> str:
    """``text`` with each number written in groups isolated as left to right (see
    _GROUPED_NUMBER); numbers already isolated are left as they are."""
    if not text or not any(c.isdigit() for c in text):
        return text
    out: list[str] = []
    at = 0
    for match in _GROUPED_NUMBER.finditer(text):
        start, end = match.span()
        if text[:start].endswith((LRI, FSI)):
            continue
        out += [text[at:start], LRI, match.group(0), PDI]
        at = end
    return "".join(out) + text[at:]


def rtl_paragraphs(text: str) -> str:
    """``text`` for a right-to-left screen: each paragraph that starts with a Latin letter
    (a clinic name from the config, "EULAR 2023: ...") gets a right-to-left mark in front,
    so it is laid out right to left, aligned and punctuated like the Arabic around it; and
    numbers in groups read left to right (:func:`ltr_numbers`)."""
    if not text:
        return text
    return "\n".join(
        RLM + line if first_strong(line) == "L" and not line.startswith(RLM) else line
        for line in ltr_numbers(text).split("\n")
    )


def left_to_right(text: str) -> str:
    """``text`` (a phone number, an e-mail address, a code, a web address) isolated as a
    left-to-right run: in a right-to-left sentence "+90 532 123 45 67" would otherwise be
    shown as "67 45 123 532 90+"."""
    return f"{LRI}{text}{PDI}" if text else text


def isolated(text: str) -> str:
    """``text`` (a value put into a sentence: a name, an address) isolated in its own
    direction, whatever the sentence's: neither reorders the other."""
    return f"{FSI}{text}{PDI}" if text else text


def rtl_line(text: str) -> str:
    """``text`` (a button's one line) isolated as right to left, numbers in groups left to
    right inside it: Qt draws a button's text as a left-to-right paragraph whatever the
    button's direction, so "تركيا +90" would read "+90" first."""
    if not text or text.startswith(RLI):
        return text
    return f"{RLI}{ltr_numbers(text)}{PDI}"
