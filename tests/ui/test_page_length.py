"""Topic pages stay short: at most one screen of scrolling at the default text size."""

from __future__ import annotations

import pytest

from kiosk.content import Content
from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screenshots import page_length

from uihelpers import LANDSCAPE, PORTRAIT, settle


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_topic_pages_fit_two_screens(
    window: MainWindow, content: Content, size: tuple[int, int], lang: str
) -> None:
    """A tired reader scrolls at most once per topic (page length <= 2 screens).

    A treatment page may take a quarter of a screen more in landscape (1080 px high): it
    carries the fixed template (six parts), the warning signs and every caution, none of
    which may be left out or hidden behind a tap."""
    window.resize(*size)
    window.set_language(lang)
    lengths = {}
    for topic_id in content.languages[lang].topics:
        window.navigate(Route("topic", topic_id))
        settle()
        lengths[topic_id] = round(page_length(window.current_screen()), 2)
        window.go_home()
    treatments = {t.id for t in content.languages[lang].topics.values() if t.treatment}
    limit = {t: 2.25 if t in treatments and size == LANDSCAPE else 2.0 for t in lengths}
    assert lengths and all(lengths[t] <= limit[t] for t in lengths), lengths
