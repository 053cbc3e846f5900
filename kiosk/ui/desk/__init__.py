"""The front-desk console (`kiosk desk`): a desktop window on the reception PC for the requests
of every kiosk, on the central server (docs/staff.md)."""
