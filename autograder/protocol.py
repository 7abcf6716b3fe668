"""Length-prefixed messages between the grader and its worker.

Payloads are written with ``torch.save`` and read with
``torch.load(weights_only=True)``, which only rebuilds tensors and plain
containers: reading a message can never run code from the sender.
"""
from __future__ import annotations

import io
import struct

import torch

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
_HEADER = struct.Struct(">Q")


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


def encode(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    return _HEADER.pack(len(data)) + data


def decode(data: bytes):
    try:
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as exc:  # any unpickling refusal or corruption
        raise ProtocolError(f"unreadable message ({type(exc).__name__})") from None


def write_message(stream, obj) -> None:
    stream.write(encode(obj))
    stream.flush()


def read_exactly(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(stream):
    (size,) = _HEADER.unpack(read_exactly(stream, _HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {size} bytes is over the {MAX_MESSAGE_BYTES} byte limit")
    return decode(read_exactly(stream, size))
