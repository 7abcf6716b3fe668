"""Device selection (introduced in Chapter 1): CUDA, then Apple MPS, then CPU."""
import os

import torch


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device.

    Order: CUDA, then Apple MPS, then CPU. ``prefer`` (or the environment
    variable ``DLCOURSE_DEVICE``) forces one, e.g. ``"cpu"`` for reproducible
    grading.
    """
    choice = prefer or os.environ.get("DLCOURSE_DEVICE")
    if choice:
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def to_device(obj, device: torch.device):
    """Move a tensor, a module, or a (nested) tuple/list/dict of them to ``device``."""
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj
