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
