"""The desk's export: the folder staff pick, the file written on the desk's worker (the list
as the filters make it, kiosk.fleet.desk.export_list), and what became of it, said plainly."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from kiosk.fleet.desk import DeskExported, export_list

if TYPE_CHECKING:
    from kiosk.ui.desk.window import DeskWindow, Outcome


def choose_and_export(window: DeskWindow) -> None:
    """Ask for a folder (the last one offered first), then export to it."""
    folder = QFileDialog.getExistingDirectory(
        window, window.s.export_choose, str(window.last_export_folder or Path.home())
    )
    if folder:
        export_to(window, Path(folder), str(window.export_format.currentData()))


def export_to(window: DeskWindow, folder: Path, fmt: str) -> None:
    """Export the list the filters make now, as ``fmt``, into ``folder``."""
    session = window.session
    if session is None or window.exporting:
        return
    window.exporting = True
    window.last_export_folder = folder
    window.export_button.setEnabled(False)
    window.statusBar().showMessage(window.s.exporting)
    filters, asof, zone = window.current_filters(), window.export_asof(), window.zone_name
    given = window.held_rows()  # what a search or a topic found, as shown
    window._submit(
        "desk-export",
        lambda: export_list(session, filters, asof, fmt, folder, zone, given),
        lambda outcome: _exported(window, outcome),
    )


def _exported(window: DeskWindow, outcome: Outcome) -> None:
    window.exporting = False
    window.export_button.setEnabled(True)
    if window._server_error(outcome):
        return
    result: DeskExported = outcome.value
    s = window.s
    if result.path is None:
        text = {
            "empty": s.export_empty,
            "gone": s.export_gone,
            "full": s.export_full,
            "read-only": s.export_read_only,
            "exists": s.export_failed,
            "unverified": s.export_unverified,
        }.get(result.reason or "", s.export_failed)
    else:
        text = s.export_done.format(count=f"{result.count:,}", file=str(result.path))
        if result.unreadable:
            text += " " + s.export_unreadable.format(count=result.unreadable)
    window.statusBar().showMessage(text, 30_000)
    window.export_message.setText(text)
    window.export_message.show()
    window.exported.emit(result)
    window.reload()
