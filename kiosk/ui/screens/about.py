"""About this information: every disclaimer, who reviewed the content and when."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QVBoxLayout, QWidget

from kiosk import __version__
from kiosk.golive import is_placeholder
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.blocks import boxed
from kiosk.ui.widgets.painted import Panel
from kiosk.ui.widgets.text import label


class AboutScreen(Screen):
    """Disclaimers, the content version and, once a physician has signed it off, the review."""

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about-screen")
        ui, manifest = ctx.lang.ui, ctx.content.manifest
        self.page = ctx.pages.page(ctx.metrics)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.page.body.addWidget(label(ui.about_title, "screen-title"))
        notes = [d.text for d in ctx.lang.disclaimers.values()]
        box = boxed("notice-box", notes, "secondary-text")
        box.setObjectName("notice-box")
        self.page.body.addWidget(box)

        card = Panel("card")
        form = QFormLayout(card)
        form.setContentsMargins(28, 24, 28, 24)
        form.setVerticalSpacing(16)
        form.setHorizontalSpacing(24)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        rows: list[tuple[str, str]] = []
        reviewer = ctx.lang.meta.reviewed_by
        # A review is claimed only when it happened: a named reviewer and both dates. A
        # placeholder ("[Reviewing physician …]") is never shown to a patient.
        if (
            reviewer
            and not is_placeholder(reviewer)
            and manifest.reviewed_on is not None
            and manifest.next_review is not None
        ):
            rows += [
                (ui.about_reviewed_by, reviewer),
                (ui.about_reviewed_on, ctx.date_text(manifest.reviewed_on)),
                (ui.about_next_review, ctx.date_text(manifest.next_review)),
            ]
        rows += [
            (ui.about_content_version, manifest.content_version),
            (ui.about_app_version, __version__),
        ]
        self.values: dict[str, str] = {}
        for key, value in rows:
            form.addRow(label(key, "about-key"), label(value, "body-text"))
            self.values[key] = value
        self.page.body.addWidget(card)
        self.page.finish()
