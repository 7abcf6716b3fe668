"""Offline data sets as tensors (introduced in Chapter 1).

Nothing here touches the network: scikit-learn ships the 8x8 digits, MNIST-1D
is generated procedurally by the ``mnist1d`` package, and the toy problems are
synthetic.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class Split:
    """Train / validation / test tensors of one data set."""
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    def loaders(self, batch_size: int = 64, seed: int = 0):
        """DataLoaders for the three parts; only the training one shuffles."""
        gen = torch.Generator().manual_seed(seed)
        train = DataLoader(TensorDataset(self.X_train, self.y_train), batch_size=batch_size,
                           shuffle=True, generator=gen)
        val = DataLoader(TensorDataset(self.X_val, self.y_val), batch_size=512)
        test = DataLoader(TensorDataset(self.X_test, self.y_test), batch_size=512)
        return train, val, test


def _split(X: np.ndarray, y: np.ndarray, val_frac: float, test_frac: float, seed: int) -> Split:
    order = np.random.default_rng(seed).permutation(len(X))
    n_test, n_val = int(len(X) * test_frac), int(len(X) * val_frac)
    test, val, train = np.split(order, [n_test, n_test + n_val])
    t = lambda a, dt: torch.as_tensor(a, dtype=dt)  # noqa: E731
    return Split(t(X[train], torch.float32), t(y[train], torch.long),
                 t(X[val], torch.float32), t(y[val], torch.long),
                 t(X[test], torch.float32), t(y[test], torch.long))


def load_digits_split(val_frac: float = 0.15, test_frac: float = 0.2, seed: int = 0,
                      flat: bool = True) -> Split:
    """scikit-learn's 1,797 8x8 digits, pixels scaled to [0, 1].

    ``flat=True`` gives shape (N, 64) for MLPs; ``flat=False`` gives (N, 1, 8, 8)
    for CNNs.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)
    X = X.reshape(len(X), -1) if flat else X[:, None]
    return _split(X, digits.target, val_frac, test_frac, seed)


@lru_cache(maxsize=1)
def _mnist1d_arrays():
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())  # procedural, seeded: 4,000 train + 1,000 test
    return data["x"], data["y"], data["x_test"], data["y_test"]


def load_mnist1d_split(val_frac: float = 0.1, seed: int = 0) -> Split:
    """MNIST-1D (Greydanus, 2020) with its standard 4,000/1,000 train/test split.

    A validation set is carved out of the training part. Signals have shape (N, 40).
    """
    x, y, x_test, y_test = _mnist1d_arrays()
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = int(len(x) * val_frac)
    val, train = order[:n_val], order[n_val:]
    f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    g = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return Split(f(x[train]), g(y[train]), f(x[val]), g(y[val]), f(x_test), g(y_test))


def make_xor(n: int = 200, noise: float = 0.1, seed: int = 0):
    """The XOR problem: Gaussian clusters around the corners (0, 0), (0, 1), (1, 0), (1, 1).

    A point's label is 1 when exactly one coordinate of its corner is 1 (the corner's two
    coordinates differ), else 0. The ``n`` points are dealt to the four corners in turn, so the
    clusters are equally large (when ``n`` is a multiple of 4), and then shuffled; ``noise`` is
    the standard deviation of each cluster. Returns ``(X, y)``: X (n, 2) float, y (n,) long.
    """
    gen = torch.Generator().manual_seed(seed)
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 0])
    idx = torch.randperm(n, generator=gen) % 4
    X = corners[idx] + noise * torch.randn(n, 2, generator=gen)
    return X, labels[idx]
