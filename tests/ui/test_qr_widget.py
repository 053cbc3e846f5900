"""QR codes on screen decode back to exactly the link, at a size a phone can read."""

from __future__ import annotations

import zxingcpp
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen
from kiosk.ui.screens.sources import SourcesScreen
from kiosk.ui.widgets.qr_widget import QrWidget

from uihelpers import settle


def _decode(widget: QWidget) -> list[str]:
    # Grayscale is a format zxing reads directly (it cannot convert PySide6's ARGB image itself).
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_widget_image_decodes_to_the_exact_text(qtbot: QtBot) -> None:
    """The painted matrix (no Pillow) is a valid QR code for the exact URL."""
    url = "https://clinic.example/form?lang=tr&source=kiosk"
    widget = QrWidget(url, 300)
    qtbot.addWidget(widget)
    [barcode] = zxingcpp.read_barcodes(widget.to_image())
    assert barcode.text == url
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode


def test_notice_codes_are_at_least_35_mm(window: MainWindow) -> None:
    """The codes on the form's notice step, grabbed from the screen, decode and are >= 35 mm."""
    window.set_language("tr")
    window.navigate(Route("appointment"))
    settle()
    screen = window.current_screen()
    assert isinstance(screen, AppointmentScreen)
    codes = [screen.findChild(QrWidget, n) for n in ("notice-qr", "online-form-qr")]
    assert [_decode(code) for code in codes] == [
        ["https://anka-klinik.com.tr/kvkk?lang=tr"],
        ["https://anka-klinik.com.tr/lupus/randevu?lang=tr&source=kiosk"],
    ]
    assert all(code.width() >= window.metrics().mm(35) for code in codes)


def test_every_source_with_a_link_has_a_decodable_code(window: MainWindow, content) -> None:
    """Each source's QR code on the Sources screen opens that source."""
    window.navigate(Route("sources"))
    settle()
    screen = window.current_screen()
    assert isinstance(screen, SourcesScreen)
    for source_id, code in screen.codes.items():
        assert _decode(code) == [content.sources[source_id].link()]
