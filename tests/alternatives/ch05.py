"""Correct alternative solutions of Chapter 5 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = []
