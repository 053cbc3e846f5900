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
    """The direction of the first letter that has one: L (Latin, Cyrillic), R (Arabic,
    Hebrew), or None when there is none (digits, punctuation and spaces only)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


# A phone number ("+90 532 123 45 67", "0212 555 01 23", "(0212) 555-0123", "+90"): in a
# right-to-left paragraph each group of digits keeps its order but the groups are laid out
# right to left ("23 01 555 0212"), and a leading "+" lands at the far end. A candidate is
# one only with a "+" or seven digits and more: "1 in 6 (18 in 100)" is two numbers and
# words, which the paragraph orders right.
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d \u00a0.()-]*\d|\+\d")
_PHONE_DIGITS = 7


def _phone_like(run: str) -> bool:
    return run.startswith("+") or sum(c.isdigit() for c in run) >= _PHONE_DIGITS


def ltr_numbers(text: str) -> str:
    """``text`` with each phone number (and number as long: a date 14.03.2026) isolated as
    left to right; one already isolated is left as it is."""
    if not text or not any(c.isdigit() for c in text):
        return text
    out: list[str] = []
    at = 0
    for match in _NUMBER_RUN.finditer(text):
        start = match.start()
        run = match.group(0).rstrip(" (")
        if text[:start].endswith((LRI, FSI)) or not _phone_like(run):
            continue
        out += [text[at:start], LRI, run, PDI]
        at = start + len(run)
    return "".join(out) + text[at:]


def rtl_paragraphs(text: str) -> str:
    """``text`` for a right-to-left screen: each paragraph that starts with a Latin letter
    (a clinic name from the config, "EULAR 2023: ...") gets a right-to-left mark in front,
    so it is laid out right to left, aligned and punctuated like the Arabic around it (a
    line of Latin only is read left to right inside that); and phone numbers read left to
    right (:func:`ltr_numbers`)."""
    if not text:
        return text
    return "\n".join(_rtl_paragraph(line) for line in ltr_numbers(text).split("\n"))


def _rtl_paragraph(line: str) -> str:
    if line.startswith(RLM) or first_strong(line) != "L":
        return line
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in line):
        return RLM + line  # Arabic after it: one right-to-left paragraph
    # Latin only (a source's authors and title): right-aligned as the page is, but read left
    # to right inside, its full stop at its end (".Fanouriakis A, et al" otherwise).
    return f"{RLM}{LRI}{line}{PDI}"


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
    """``text`` (a button's one line) isolated as right to left, phone numbers left to
    right inside it: Qt draws a button's text as a left-to-right paragraph whatever the
    button's direction, so "تركيا +90" would read "+90" first."""
    if not text or text.startswith(RLI):
        return text
    return f"{RLI}{ltr_numbers(text)}{PDI}"
