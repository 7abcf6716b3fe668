"""A small training loop with a progress bar (introduced in Chapter 1)."""
from __future__ import annotations

import torch
from tqdm.auto import tqdm


@torch.no_grad()
def evaluate(net: torch.nn.Module, loader, loss_fn, device) -> tuple[float, float]:
    """Mean loss and accuracy of a classifier over a loader."""
    net.eval()
    total_loss, correct, count = 0.0, 0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        y_hat = net(X)
        total_loss += loss_fn(y_hat, y).item() * len(y)
        correct += (y_hat.argmax(dim=1) == y).sum().item()
        count += len(y)
    return total_loss / count, correct / count


def accuracy(net: torch.nn.Module, loader, device) -> float:
    """Share of correctly classified samples."""
    return evaluate(net, loader, torch.nn.functional.cross_entropy, device)[1]


def fit(net: torch.nn.Module, train_loader, loss_fn, optimizer, num_epochs: int, device,
        val_loader=None, progress: bool = True, desc: str = "training") -> dict:
    """Train ``net`` and return its history.

    Each epoch runs forward, loss, backward and step over ``train_loader``; the
    history holds per-epoch ``train_loss`` and, with a ``val_loader``,
    ``val_loss`` and ``val_acc``.
    """
    net.to(device)
    history = {"train_loss": [], "val_loss": [], "val_acc": []}
    bar = tqdm(range(num_epochs), desc=desc, disable=not progress, leave=False)
    for _ in bar:
        net.train()
        total, count = 0.0, 0
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            loss = loss_fn(net(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            count += len(y)
        history["train_loss"].append(total / count)
        if val_loader is not None:
            val_loss, val_acc = evaluate(net, val_loader, loss_fn, device)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            bar.set_postfix(loss=f"{total / count:.3f}", val_acc=f"{val_acc:.3f}")
    return history
