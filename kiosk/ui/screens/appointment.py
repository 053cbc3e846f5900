"""Request an appointment: for now, the QR code to the clinic's online form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.qr import appointment_link, short_display
from kiosk.ui.context import ScreenContext
from kiosk.ui.widgets.qr_widget import QrWidget
from kiosk.ui.widgets.scroll_page import ScrollPage
from kiosk.ui.widgets.text import breakable, label


class AppointmentScreen(QWidget):
    """The online form one scan away; the link carries only language and source."""

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appointment-screen")
        ui = ctx.lang.ui
        self.page = ScrollPage(ctx.metrics)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        body = self.page.body
        body.addWidget(label(ui.appointment_title, "screen-title"))
        for paragraph in ui.appointment_body:
            body.addWidget(label(paragraph, "body-text"))
        self.link = appointment_link(ctx.settings.appointment_url, ctx.lang.code)
        caption = label(ui.appointment_scan, "block-heading")
        caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        body.addWidget(caption)
        self.code = QrWidget(self.link, ctx.metrics.qr_side)
        self.code.setObjectName("appointment-qr")
        body.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        url = label(breakable(short_display(self.link)), "qr-url")
        url.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        body.addWidget(url)
        desk = label(ui.appointment_desk, "body-text")
        desk.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        body.addWidget(desk)
        self.page.finish()
