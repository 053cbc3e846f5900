"""Signed content updates for every kiosk (The Update Framework; no Qt).

``keys`` keeps the signing keys, ``repository`` publishes (IT's side), ``client`` fetches
and verifies (the kiosk's side, from HTTPS or a USB stick); kiosk.releases unpacks and
switches (docs/content-updates.md).
"""

# The outcomes of a check someone must act on (IT, told by the staff screen and
# fleet_health; kiosk.updates.client.UpdateError names them): not "unreachable" (a server
# down for a while: the repository's expiry tells if it lasts) nor "busy".
NEEDS_IT = frozenset({"expired", "older", "tampered", "invalid", "clock", "setup", "disk"})
