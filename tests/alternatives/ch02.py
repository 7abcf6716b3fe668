"""Correct alternative solutions of Chapter 2 (see tests/alternatives/__init__.py)."""

ALTERNATIVES: list[tuple[str, str, str]] = []
