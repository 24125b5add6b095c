"""Every Keras callback seqlab trains with, in one place.

`run`: what a run's trustworthiness rests on (`EpochSeeds`,
`DevCheckpoint`, `TimeBudget`); `monitor`: `TrainingMonitor` (gradient
statistics per epoch, the finite-loss check); `statistics`:
`GradientStatistics` (per-step gradient norms, JSON and a plot);
`schedules`: learning-rate schedules; `states`: `ResetStates` for language
models; `configured`: the callbacks a config names in ``training.callbacks``
(TensorBoard, CSV logs, a plugin's).
"""

from seqlab.callbacks.monitor import TrainingMonitor
from seqlab.callbacks.run import DevCheckpoint, EpochProgress, EpochSeeds, TimeBudget, say
from seqlab.callbacks.schedules import (PlateauHalving, inverse_time_decay, plateau_halving,
                                        step_decay)
from seqlab.callbacks.states import ResetStates
from seqlab.callbacks.statistics import GradientStatistics

__all__ = ["DevCheckpoint", "EpochProgress", "EpochSeeds", "GradientStatistics", "PlateauHalving",
           "ResetStates", "TimeBudget", "TrainingMonitor", "inverse_time_decay",
           "plateau_halving", "say", "step_decay"]
