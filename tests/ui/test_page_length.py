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
    """A tired reader scrolls at most once per topic (page length <= 2 screens)."""
    window.resize(*size)
    window.set_language(lang)
    lengths = {}
    for topic_id in content.languages[lang].topics:
        window.navigate(Route("topic", topic_id))
        settle()
        lengths[topic_id] = round(page_length(window.current_screen()), 2)
        window.go_home()
    assert lengths and max(lengths.values()) <= 2.0, lengths
