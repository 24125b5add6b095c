"""Plots (PNG files, headless): gradient norms per step and per time step.

matplotlib is imported when a plot is drawn, never at ``import seqlab``.
"""

import os

import numpy as np

from seqlab.errors import ConfigError
from seqlab.io import replacing


def pyplot():
    """matplotlib's pyplot on the headless Agg backend, or a clear error."""
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("Plotting needs matplotlib: pip install 'seqlab[plot]' "
                          "(or pip install matplotlib).") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def plot_gradient_statistics(steps, path, title="Gradient norm per training step"):
    """Plot per-step gradient norms (log scale), marking clipped steps."""
    plt = pyplot()
    x = [s["step"] for s in steps]
    norms = [s["gradient_norm"] for s in steps]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(x, norms, lw=0.8, label="global gradient norm (before clipping)")
    clipped = [(s["step"], s["gradient_norm"]) for s in steps if s["clipped"]]
    if clipped:
        ax.scatter(*zip(*clipped), s=6, color="tab:red", zorder=3,
                   label=f"clipped ({len(clipped)} of {len(steps)} steps)")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("||g||")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def save_figure(fig, path):
    """Save a figure as PNG atomically (a killed save leaves a ``.tmp-``
    file that the next run start removes, never half a PNG)."""
    with replacing(path) as temporary:
        fig.savefig(temporary, dpi=110, format="png")


#: How a dev score is plotted: (factor, title).
SCORE_LABELS = {"dev_f1": (100, "dev entity F1 (%)"), "dev_ppl": (1, "dev perplexity"),
                "dev_binary_overlap": (100, "dev binary-overlap F1 (%)"),
                "dev_proportional_overlap": (100, "dev proportional-overlap F1 (%)"),
                "dev_token_accuracy": (100, "dev token accuracy (%)")}


def plot_learning_curves(history, path, score_name, best_epoch=None):
    """Training loss, dev score and learning rate per epoch, one panel each.

    Args:
        history: a run's history (dicts with ``epoch``, ``loss``,
            ``learning_rate`` and ``score_name``).
        score_name: the dev score's key (``"dev_f1"``, ``"dev_ppl"``).
        best_epoch: marked on every panel.
    """
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    epochs = [h["epoch"] for h in history]
    scale, label = SCORE_LABELS.get(score_name, (1, score_name.replace("_", " ")))
    panels = [("loss", 1, "training loss"), (score_name, scale, label),
              ("learning_rate", 1, "learning rate")]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, (key, factor, title) in zip(axes, panels):
        values = [factor * h[key] if h.get(key) is not None else np.nan for h in history]
        ax.plot(epochs, values, marker="o", ms=3, lw=1.4)
        if best_epoch:
            ax.axvline(best_epoch, color="tab:green", lw=0.8, ls="--",
                       label=f"best.keras (epoch {best_epoch})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
    if best_epoch:
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def plot_timestep_gradients(results, path):
    """Log-scale plot of ||dE_T/dh_t|| against t, one line per cell."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, result in results.items():
        norms = np.maximum(np.asarray(result["gradient_norm"]), 1e-45)
        line, = ax.plot(result["t"], norms, label=label, lw=1.6)
        low, high = (np.maximum(np.asarray(q), 1e-45)
                     for q in result["gradient_norm_quartiles"])
        ax.fill_between(result["t"], low, high, color=line.get_color(), alpha=0.15)
    any_result = next(iter(results.values()))
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial E_T / \partial h_t\|$")
    ax.set_title(f"How far the error at T = {any_result['steps']} reaches back "
                 f"({any_result['units']} units)")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
