"""Staff sign-in: unwrapping the clinic's private key at the kiosk's real Argon2id cost.

    python -m bench.unlock

Not a budget: the cost is chosen to make guessing the passcode slow. Reported so that the
time a staff member waits, and the memory the kiosk needs for it, stay visible.
"""

from __future__ import annotations

from pathlib import Path

from bench import adapter
from bench.common import MIB, emit, peak_rss_bytes, scratch


def main() -> None:
    with scratch("unlock-") as tmp:
        result = adapter.staff_unlock(Path(tmp))
    emit({**result, "peak_rss_mib": peak_rss_bytes() / MIB})


if __name__ == "__main__":
    main()
