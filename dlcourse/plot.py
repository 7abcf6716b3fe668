"""Plotting helpers (introduced in Chapter 1). Every figure gets a title, axis labels
and, where there is more than one line, a legend."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch


def plot_history(history: dict, title: str, ax=None):
    """Learning curves: training and validation loss per epoch."""
    ax = ax or plt.subplots(figsize=(5, 3.2))[1]
    epochs = range(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="training loss")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], label="validation loss")
    ax.set(title=title, xlabel="epoch", ylabel="loss")
    ax.legend()
    return ax


def plot_decision_boundary(predict, X: torch.Tensor, y: torch.Tensor, title: str, ax=None,
                           steps: int = 200):
    """Shade the class ``predict`` assigns over the plane and scatter the 2-D points."""
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    lo, hi = X.min(0).values - 0.5, X.max(0).values + 0.5
    gx, gy = torch.meshgrid(torch.linspace(lo[0], hi[0], steps),
                            torch.linspace(lo[1], hi[1], steps), indexing="xy")
    grid = torch.stack([gx.ravel(), gy.ravel()], dim=1)
    with torch.no_grad():
        zz = predict(grid).reshape(gx.shape).float()
    ax.contourf(gx, gy, zz, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#f4cccc"], alpha=0.8)
    for label, colour in [(0, "#1f77b4"), (1, "#d62728")]:
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=12, c=colour, label=f"class {label}")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def show_images(images: torch.Tensor, titles=None, title: str = "", ncols: int = 10,
                cmap: str = "gray_r"):
    """A grid of small grayscale images (N, H, W) or (N, 1, H, W)."""
    images = images.detach().cpu()
    if images.dim() == 4:
        images = images[:, 0]
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 0.9, nrows * 1.0), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
