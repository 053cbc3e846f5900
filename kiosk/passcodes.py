"""The staff passcode's rules: long enough to hold off offline guessing for years, and never
a code a thief would try first (no Qt)."""

from __future__ import annotations

import secrets

# Someone with a copy of the disk guesses offline, where no lockout applies: only length
# stops them. At the Argon2id cost in kiosk.crypto (0.49 s of one core per guess in `make
# bench`), 12 random digits keep a 64-core server busy for 240 years (120 on average);
# 10 digits would fall in about a year. The arithmetic is in docs/security.md.
MIN_DIGITS = 12
# Sixteen taps is as many as staff will type on a touch pad.
MAX_DIGITS = 16
# What a sign-in attempt may be: codes set before the 12-digit rule (from 6 digits) still
# open the key file, and `kiosk doctor` asks for a new one.
MIN_ENTRY_DIGITS = 6
# A random passcode, when staff want one chosen for them.
RANDOM_DIGITS = 12
# The version of these rules a key file's passcode was checked against (kiosk.crypto
# records it; `kiosk doctor` fails for older ones).
RULES_VERSION = 1

# `make run` sets this on a developer's machine (README). It is published, so no real kiosk
# may use it: key files made with it are marked and `kiosk doctor` fails. (It is shorter
# than the rules allow: `kiosk keys init --development` is the only way to set it.)
DEVELOPMENT_PASSCODE = "2468013579"

# Fewer distinct digits than this is a pattern (112233112233, 100000000001), not a secret.
_MIN_DISTINCT = 4


class PasscodeError(ValueError):
    """The passcode does not follow the rules; the message says which one, in plain words."""


def check_entry(code: str) -> None:
    """Raise PasscodeError unless ``code`` could be a passcode at all (6 to 16 ASCII digits):
    anything else is answered "wrong" at once, without the Argon2id work."""
    if not (MIN_ENTRY_DIGITS <= len(code) <= MAX_DIGITS and code.isascii() and code.isdigit()):
        raise PasscodeError(f"the passcode must be {MIN_ENTRY_DIGITS} to {MAX_DIGITS} digits")


# Why a passcode may not be set, by key (a program showing it in another language words it
# itself: kiosk/ui/desk's desk.json has "weak_<key>").
REASONS = {
    "empty": "no passcode was given",
    "digits": "use digits only (staff type it on the number pad)",
    "published": "this is the published development passcode",
    "length": "use {low} to {high} digits (this has {n})",
    "block": "it repeats a short block (like 121212121212 or 111111111111)",
    "run": "it counts up or down (like 012345678901)",
    "distinct": "it uses fewer than {distinct} different digits",
    "mobile": "it looks like a mobile phone number, which others can know",
}


def problem_key(code: str) -> str | None:
    """Why ``code`` may not become the staff passcode (a key of REASONS), or None."""
    if not code:
        return "empty"
    if not (code.isascii() and code.isdigit()):
        return "digits"
    if code == DEVELOPMENT_PASSCODE:
        return "published"
    if not MIN_DIGITS <= len(code) <= MAX_DIGITS:
        return "length"
    if _repeats_a_block(code):
        return "block"
    if _is_run(code):
        return "run"
    if len(set(code)) < _MIN_DISTINCT:
        return "distinct"
    if _looks_like_mobile_number(code):
        return "mobile"
    return None


def problem(code: str) -> str | None:
    """Why ``code`` may not become the staff passcode, in English, or None if it may."""
    key = problem_key(code)
    if key is None:
        return None
    return REASONS[key].format(low=MIN_DIGITS, high=MAX_DIGITS, n=len(code), distinct=_MIN_DISTINCT)


def check_new(code: str) -> None:
    """Raise PasscodeError unless ``code`` may become the staff passcode."""
    reason = problem(code)
    if reason is not None:
        raise PasscodeError(f"not a safe passcode: {reason}")


def meets_rules(code: str) -> bool:
    return problem(code) is None


def random_passcode() -> str:
    """A passcode chosen at random (12 digits) that meets the rules."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
        if meets_rules(code):
            return code


def grouped(code: str) -> str:
    """``code`` in groups of four, as people read it back and type it: 4829 1037 5612."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def _repeats_a_block(code: str) -> bool:
    # Includes one digit repeated (a block of one). A block up to half the length.
    return any(
        len(code) % size == 0 and code == code[:size] * (len(code) // size)
        for size in range(1, len(code) // 2 + 1)
    )


def _is_run(code: str) -> bool:
    # Every step +1 or every step -1, wrapping 9 → 0 (1234567890, 9876543210).
    steps = {(int(b) - int(a)) % 10 for a, b in zip(code, code[1:], strict=False)}
    return steps in ({1}, {9})


def _looks_like_mobile_number(code: str) -> bool:
    # Turkish mobile numbers, the clinic's staff's own among them: 5XX XXX XX XX, written
    # with 0, 90 or 0090 in front.
    for prefix in ("", "0", "90", "0090"):
        rest = code[len(prefix) :]
        if code.startswith(prefix) and len(rest) == 10 and rest.startswith("5"):
            return True
    return False
