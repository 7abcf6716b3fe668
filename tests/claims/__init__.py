"""Every number the chapters' prose states, registered per chapter (``chNN.py``).

``MEASURED`` lists run-dependent figures with the library test that asserts them, using the
same threshold as the prose; ``NOT_RUN_DEPENDENT`` lists the rest (a published result, a
property of the math, a hyperparameter the reader is told). ``tests/test_chapter_contract.py``
fails on a number in the prose that neither lists, so a new claim cannot slip in untested.
"""
from __future__ import annotations

from typing import NamedTuple


class Claim(NamedTuple):
    text: str   # the number as the prose writes it, e.g. "97 %" or "0.165"
    test: str   # "test_lib_basics.py::test_digits_mlp_reaches_97_percent"
