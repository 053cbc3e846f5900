"""Central delivery for a clinic group (docs/fleet.md): the central PostgreSQL's schema, and
the kiosk's side of sending it requests and heartbeats. Off by default: a single kiosk
needs none of it."""
