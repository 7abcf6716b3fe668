"""Length-prefixed messages between the grader and its worker.

A message is plain data only: ``None``, booleans, integers, floats, strings, lists, tuples,
dicts with string keys, ``torch.dtype`` and dense tensors. It is written as a JSON description
(every container tagged with its type) followed by the tensors' raw bytes. Reading a message
never unpickles anything, so it can never run code from the sender; a message that does not
follow this format is refused with :class:`ProtocolError`.

Layout: an 8-byte big-endian length, then a 4-byte length of the JSON part, the JSON part, and
the tensors' bytes one after another.
"""
from __future__ import annotations

import json
import math
import struct

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 64
_HEADER = struct.Struct(">Q")
_JSON_LENGTH = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


def _torch():
    import torch  # imported on first use: the grader starts its workers before it imports torch

    return torch


_DTYPES: dict = {}
_ITEMSIZE: dict = {}


def _dtypes() -> dict:
    """Name -> dtype of every dtype a message may carry (e.g. ``"float32"``)."""
    if not _DTYPES:
        torch = _torch()
        for name in ("float16", "bfloat16", "float32", "float64", "complex64", "complex128",
                     "uint8", "int8", "int16", "int32", "int64", "bool"):
            _DTYPES[name] = getattr(torch, name)
            _ITEMSIZE[name] = torch.empty((), dtype=_DTYPES[name]).element_size()
    return _DTYPES


def _pack(obj, buffers: list, depth: int):
    """``obj`` as JSON-able data; tensors' bytes are appended to ``buffers``."""
    if depth > MAX_DEPTH:
        raise TypeError("data nested too deeply")
    kind = type(obj)
    if obj is None or kind is bool or kind is str:
        return obj
    if kind is int:
        return obj
    if kind is float:
        return obj if math.isfinite(obj) else {"f": repr(obj)}
    if kind is list:
        return {"l": [_pack(v, buffers, depth + 1) for v in obj]}
    if kind is tuple:
        return {"t": [_pack(v, buffers, depth + 1) for v in obj]}
    if kind is dict:
        if not all(type(k) is str for k in obj):
            raise TypeError("dict keys must be strings")
        return {"d": {k: _pack(v, buffers, depth + 1) for k, v in obj.items()}}
    torch = _torch()
    if kind is torch.dtype:
        name = str(obj).removeprefix("torch.")
        if name not in _dtypes():
            raise TypeError(f"dtype {obj} cannot be sent")
        return {"D": name}
    if isinstance(obj, torch.Tensor):
        return {"T": _pack_tensor(obj, buffers)}
    raise TypeError(f"an object of type {kind.__module__}.{kind.__qualname__} cannot be sent")


def _pack_tensor(tensor, buffers: list) -> list:
    torch = _torch()
    name = str(tensor.dtype).removeprefix("torch.")
    if name not in _dtypes():
        raise TypeError(f"a tensor of dtype {tensor.dtype} cannot be sent")
    if tensor.layout != torch.strided:
        tensor = tensor.to_dense()
    tensor = tensor.detach().to("cpu").resolve_conj().resolve_neg().contiguous()
    shape = list(tensor.shape)
    if tensor.numel():
        data = tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
    else:
        data = b""
    buffers.append(data)
    return [name, shape, len(data)]


def encode(obj) -> bytes:
    """The message for ``obj``, length prefix included; TypeError if it is not plain data."""
    buffers: list[bytes] = []
    description = json.dumps(_pack(obj, buffers, 0), separators=(",", ":"),
                             allow_nan=False).encode()
    body = b"".join([_JSON_LENGTH.pack(len(description)), description, *buffers])
    return _HEADER.pack(len(body)) + body


class _Reader:
    def __init__(self, data: bytes, offset: int):
        self.data = data
        self.offset = offset

    def unpack(self, node, depth: int):
        if depth > MAX_DEPTH:
            raise ValueError("nested too deeply")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or len(node) != 1:
            raise ValueError("untagged container")
        (tag, value), = node.items()
        if tag == "l" and type(value) is list:
            return [self.unpack(v, depth + 1) for v in value]
        if tag == "t" and type(value) is list:
            return tuple(self.unpack(v, depth + 1) for v in value)
        if tag == "d" and type(value) is dict:
            return {k: self.unpack(v, depth + 1) for k, v in value.items()}
        if tag == "f" and value in ("inf", "-inf", "nan"):
            return float(value)
        if tag == "D" and value in _dtypes():
            return _dtypes()[value]
        if tag == "T" and type(value) is list:
            return self.tensor(value)
        raise ValueError(f"unknown tag {tag!r}")

    def tensor(self, spec: list):
        torch = _torch()
        if len(spec) != 3:
            raise ValueError("bad tensor header")
        name, shape, nbytes = spec
        if name not in _dtypes() or type(shape) is not list or type(nbytes) is not int:
            raise ValueError("bad tensor header")
        if len(shape) > 32 or not all(type(s) is int and s >= 0 for s in shape):
            raise ValueError("bad tensor shape")
        dtype = _dtypes()[name]
        numel = math.prod(shape)
        if nbytes != numel * _ITEMSIZE[name] or self.offset + nbytes > len(self.data):
            raise ValueError("tensor size does not match its data")
        if numel == 0:
            return torch.empty(shape, dtype=dtype)
        chunk = bytearray(self.data[self.offset:self.offset + nbytes])
        self.offset += nbytes
        return torch.frombuffer(chunk, dtype=dtype).reshape(shape)


def decode(data: bytes):
    """The object a message body (after the 8-byte length) describes; ProtocolError if invalid."""
    try:
        (length,) = _JSON_LENGTH.unpack_from(data, 0)
        start = _JSON_LENGTH.size
        if start + length > len(data):
            raise ValueError("truncated")
        description = json.loads(data[start:start + length].decode("utf-8"))
        reader = _Reader(data, start + length)
        value = reader.unpack(description, 0)
        if reader.offset != len(data):
            raise ValueError("trailing bytes")
        return value
    except ProtocolError:
        raise
    except Exception as exc:  # any malformed or hostile input
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
