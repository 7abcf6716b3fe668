"""The course autograder: ``python -m autograder PATH...``.

Student code runs in a separate (sandboxed) worker process; the hidden pytest
tests run here, in the trusted process, and compare plain tensors copied out
of the worker with the master's reference solution and PyTorch built-ins.
"""
