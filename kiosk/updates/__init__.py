"""Signed content and configuration updates for every kiosk (The Update Framework; no Qt).

``keys`` keeps the signing keys, ``repository`` publishes (IT's side), ``client`` fetches
and verifies (the kiosk's side, from HTTPS or a USB stick); kiosk.releases unpacks and
switches (docs/content-updates.md).
"""
