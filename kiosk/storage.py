"""Kept only so branches written before :mod:`kiosk.store` existed still import: import
from :mod:`kiosk.store` instead. Delete this module once no ``kiosk.storage`` import is left."""

from kiosk.store import *  # noqa: F403
from kiosk.store import __all__ as __all__
