"""Correct solutions written differently from the masters, one module per chapter (``chNN.py``).

``ALTERNATIVES = [(grade_id, what makes it different, source), ...]``. Each must get full marks
and no mistake message: the grader recognises mistakes, never style.
"""
