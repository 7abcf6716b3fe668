"""Numbers in the prose of Chapter 4, measured or not run-dependent (see tests/claims/__init__.py)."""
from tests.claims import Claim

MEASURED: list[Claim] = []

NOT_RUN_DEPENDENT: list[str] = []
