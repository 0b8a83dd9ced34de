"""Shared page furniture: layout, navigation, home page, styles."""
