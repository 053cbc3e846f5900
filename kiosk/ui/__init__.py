"""Qt Widgets user interface; depends on the core, never the reverse."""
