"""One screen per module; screens talk outward through signals only."""
