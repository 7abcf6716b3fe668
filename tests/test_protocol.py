"""The channel between grader and worker never runs code when it reads a message."""
from __future__ import annotations

import io
import os
import pickle

import pytest
import torch

from autograder.protocol import ProtocolError, decode, encode, read_message
from autograder.sandbox import ExerciseRun, GraderBug


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-pickle",))


def test_plain_data_round_trips():
    data = {"op": "result", "value": (torch.arange(6).reshape(2, 3), [1.5, "x", None], {"k": True})}
    back = decode(encode(data)[8:])
    assert torch.equal(back["value"][0], data["value"][0]) and back["value"][1:] == data["value"][1:]


@pytest.mark.parametrize("payload", [
    pickle.dumps(Exploit()),
    b"not a torch file at all",
])
def test_code_or_garbage_is_refused_without_running(payload, tmp_path):
    with pytest.raises(ProtocolError):
        decode(payload)
    buf = io.BytesIO()
    torch.save(Exploit(), buf)  # even wrapped in torch's own format
    with pytest.raises(ProtocolError):
        decode(buf.getvalue())
    assert not os.path.exists("/tmp/pwned-by-pickle")


def test_oversized_message_is_refused_before_reading_it():
    header = (2**40).to_bytes(8, "big")
    with pytest.raises(ProtocolError, match="limit"):
        read_message(io.BytesIO(header))


def test_inputs_that_are_not_plain_data_are_the_graders_fault():
    run = ExerciseRun.__new__(ExerciseRun)  # no worker needed: refused before sending
    run.failure = None
    with pytest.raises(GraderBug, match="not plain data"):
        run.run("dlcourse.checks:call", (torch.Generator(),))


def _body(description: bytes, data: bytes = b"") -> bytes:
    return len(description).to_bytes(4, "big") + description + data


_SEEDED = torch.Generator().manual_seed(0)  # the same values (and test ids) in every process


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor {value.dtype} {tuple(value.shape)}{' grad' if value.requires_grad else ''}"
    return repr(value)


@pytest.mark.parametrize("value", [
    None, True, 0, -2**70, 1.5, float("inf"), "text", [1, (2, [3])], {"k": {"n": [None]}},
    torch.float64, torch.zeros(0, 3), torch.tensor(3.0), torch.arange(10)[::3],
    torch.randn(2, 3, dtype=torch.bfloat16, generator=_SEEDED),
    torch.randn(2, dtype=torch.complex64, generator=_SEEDED).conj(),
    torch.tensor([True, False]), torch.randn(3, requires_grad=True, generator=_SEEDED) * 2,
], ids=_describe)
def test_plain_values_round_trip_exactly(value):
    back = decode(encode(value)[8:])
    assert type(back) is type(value)
    if isinstance(value, torch.Tensor):
        expected = value.detach().resolve_conj()
        assert back.dtype == expected.dtype and back.shape == expected.shape
        assert torch.equal(back, expected) and not back.requires_grad
    else:
        assert back == value


def test_nan_round_trips():
    assert decode(encode(float("nan"))[8:]) != decode(encode(float("nan"))[8:])


@pytest.mark.parametrize("value", [object(), {1: "non-string key"}, torch.nn.Linear(2, 2),
                                   torch.randn(2).to(torch.float8_e4m3fn), [set()]])
def test_what_is_not_plain_data_cannot_be_sent(value):
    with pytest.raises(TypeError):
        encode(value)


@pytest.mark.parametrize("body", [
    _body(b'{"op": "result"}'),                              # a container without its tag
    _body(b'{"T": ["float32", [4], 16]}', b"\0" * 8),        # fewer bytes than the shape needs
    _body(b'{"T": ["float32", [2], 8]}', b"\0" * 12),        # bytes left over
    _body(b'{"T": ["object", [1], 8]}', b"\0" * 8),          # a dtype that is not allowed
    _body(b'{"T": ["float32", [-1], 0]}'),                   # a negative size
    _body(b'{"D": "torch.Tensor"}'),                         # not a dtype name
    _body(b'{"f": "1e999"}'),                                # only inf and nan are spelled out
    _body(b'[1, 2]'),                                        # an untagged list
    _body(b'{"l": ' * 5000 + b"[]" + b"}" * 5000),           # nested too deeply
    _body(b"\xff\xfe"),                                      # not UTF-8
    b"\x00\x00",                                             # too short for its own header
])
def test_malformed_messages_are_refused(body):
    with pytest.raises(ProtocolError):
        decode(body)
