"""Reusable touch widgets shared by the screens."""
