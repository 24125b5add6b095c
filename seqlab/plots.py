"""Plots (PNG files, headless): gradient norms per step and per time step.

matplotlib is imported when a plot is drawn, never at ``import seqlab``.
"""

import os

import numpy as np

from seqlab.errors import ConfigError


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
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = f"{path}.tmp.png"
    fig.savefig(temporary, dpi=110)
    os.replace(temporary, path)


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
