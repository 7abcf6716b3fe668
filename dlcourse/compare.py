"""Strict comparison of results with readable failure messages.

Used by the in-notebook checks and by the autograder alike, so a student sees
the same wording in both places. Rules: the exact type is checked first, then
dtype and shape, then values with a tolerance chosen by dtype. NaN is never
equal to anything and shapes never broadcast.
"""
from __future__ import annotations

import math

import torch

# (rtol, atol) per floating dtype; integers and booleans must match exactly.
TOLERANCES = {
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
    torch.float32: (1e-5, 1e-6),
    torch.float64: (1e-7, 1e-9),
}


class CheckFailure(AssertionError):
    """A result differs from what was expected; the message says how.

    ``summary`` is the same finding without any expected value, safe to show for
    hidden tests. ``mistake`` is the id of the catalogued mistake the result matches, if any
    (the exercise's catalogue holds its message).
    """

    def __init__(self, message: str, summary: str | None = None, mistake: str | None = None):
        super().__init__(message)
        self.summary = summary
        self.mistake = mistake


def _named_mistake(exc: CheckFailure, got, mistakes: dict | None, expect, **options) -> CheckFailure:
    """Tag ``exc`` with the first catalogued mistake whose variant ``got`` matches."""
    for mistake_id, variant in (mistakes or {}).items():
        try:
            expect(got, variant, "", **options)
        except CheckFailure:
            continue
        exc.mistake = mistake_id
        break
    return exc


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    return repr(x)


def expect_type(got, expected_type, what: str) -> None:
    """Fail unless ``type(got) is expected_type`` (subclasses do not count)."""
    if type(got) is not expected_type:
        got_name = f"{type(got).__module__}.{type(got).__qualname__}"
        raise CheckFailure(
            f"{what}: expected a {expected_type.__module__}.{expected_type.__qualname__}, "
            f"got {got_name}", f"{what}: wrong type ({got_name})")


def expect_close(got, expected: torch.Tensor, what: str, rtol: float | None = None,
                 atol: float | None = None, check_dtype: bool = True,
                 mistakes: dict[str, torch.Tensor] | None = None) -> None:
    """Fail with a message naming shape, dtype, first wrong index and max error.

    ``mistakes`` maps catalogued mistake ids to what that mistake would return; a failure that
    matches one of them carries its id.
    """
    try:
        _expect_close(got, expected, what, rtol=rtol, atol=atol, check_dtype=check_dtype)
    except CheckFailure as exc:
        raise _named_mistake(exc, got, mistakes, _expect_close, rtol=rtol, atol=atol,
                             check_dtype=check_dtype) from None


def _expect_close(got, expected: torch.Tensor, what: str, rtol: float | None = None,
                  atol: float | None = None, check_dtype: bool = True) -> None:
    expect_type(got, torch.Tensor, what)
    if check_dtype and got.dtype != expected.dtype:
        raise CheckFailure(f"{what}: expected dtype {expected.dtype}, got {got.dtype}",
                           f"{what}: wrong dtype ({got.dtype})")
    if tuple(got.shape) != tuple(expected.shape):
        raise CheckFailure(
            f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}",
            f"{what}: wrong shape ({tuple(got.shape)})")
    got_c = got.detach().cpu()
    exp_c = expected.detach().cpu().to(got_c.dtype)
    if not (got_c.is_floating_point() or got_c.is_complex()):
        wrong = got_c != exp_c
        if wrong.any():
            idx = tuple(int(i) for i in wrong.nonzero()[0])
            raise CheckFailure(
                f"{what}: {int(wrong.sum())} of {wrong.numel()} entries differ; first at "
                f"index {idx}: expected {exp_c[idx].item()}, got {got_c[idx].item()}",
                f"{what}: {int(wrong.sum())} of {wrong.numel()} entries wrong, first at index {idx}")
        return
    d_rtol, d_atol = TOLERANCES.get(got_c.dtype, (1e-5, 1e-6))
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    g, e = got_c.double(), exp_c.double()
    err = (g - e).abs()
    bad = ~(err <= atol + rtol * e.abs())  # NaN anywhere makes the entry bad
    if bad.any():
        idx = tuple(int(i) for i in bad.nonzero()[0])
        max_err = math.nan if err.isnan().any() else err.max().item()
        nan_note = " (NaN in the result)" if g.isnan().any() else ""
        raise CheckFailure(
            f"{what}: {int(bad.sum())} of {bad.numel()} entries wrong{nan_note}; first at "
            f"index {idx}: expected {_fmt(e[idx].item())}, got {_fmt(g[idx].item())}; "
            f"largest error {_fmt(max_err)} (tolerance rtol={rtol:g}, atol={atol:g})",
            f"{what}: {int(bad.sum())} of {bad.numel()} entries wrong{nan_note}, first at index "
            f"{idx}; largest error {_fmt(max_err)}")


def expect_scalar(got, expected: float, what: str, rtol: float = 1e-6, atol: float = 1e-9,
                  mistakes: dict[str, float] | None = None) -> None:
    """Fail unless ``got`` is a real number (int/float or 0-d tensor) close to ``expected``."""
    try:
        _expect_scalar(got, expected, what, rtol=rtol, atol=atol)
    except CheckFailure as exc:
        raise _named_mistake(exc, got, mistakes, _expect_scalar, rtol=rtol, atol=atol) from None


def _expect_scalar(got, expected: float, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    if isinstance(got, torch.Tensor):
        if got.numel() != 1:
            raise CheckFailure(f"{what}: expected a single number, got a tensor of shape "
                               f"{tuple(got.shape)}")
        got = got.item()
    if type(got) not in (int, float) or isinstance(got, bool):
        raise CheckFailure(f"{what}: expected a number, got {type(got).__qualname__}")
    if not (abs(got - expected) <= atol + rtol * abs(expected)):  # False for NaN
        raise CheckFailure(f"{what}: expected {_fmt(float(expected))}, got {_fmt(float(got))}",
                           f"{what}: wrong value ({_fmt(float(got))})")


def expect_equal(got, expected, what: str, mistakes: dict | None = None) -> None:
    """Exact equality for plain Python values (ints, strings, bools, tuples of them)."""
    try:
        _expect_equal(got, expected, what)
    except CheckFailure as exc:
        raise _named_mistake(exc, got, mistakes, _expect_equal) from None


def _expect_equal(got, expected, what: str) -> None:
    if type(got) is not type(expected) or got != expected:
        raise CheckFailure(f"{what}: expected {expected!r}, got {got!r}", f"{what}: wrong value ({got!r})")
