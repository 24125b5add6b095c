"""Training dynamics: gradient statistics during training, per-timestep
gradient norms of cells, and the adding problem.

Example:
    >>> stats = seqlab.diagnostics.GradientStatistics("grads.json", "grads.png")
    >>> results = seqlab.diagnostics.diagnose_gradients(["tanh", "lstm"], steps=50)
"""

from seqlab.diagnostics.adding import adding_problem, sequence_regressor
from seqlab.diagnostics.gradients import (LECTURE_CELLS, diagnose_gradients,
                                          timestep_gradient_norms)
from seqlab.callbacks.statistics import GradientStatistics
from seqlab.plots import plot_gradient_statistics, plot_timestep_gradients

__all__ = [
    "GradientStatistics", "LECTURE_CELLS", "adding_problem", "diagnose_gradients",
    "plot_gradient_statistics", "plot_timestep_gradients", "sequence_regressor",
    "timestep_gradient_norms",
]
