"""Topological losses for any torch model.

>>> from tda_pipe.losses import SignatureLoss, MSTLengthLoss, DiagramDistanceLoss
"""

from tda_pipe.losses.diagram_losses import (
    DiagramDistanceLoss,
    PersistenceEntropyLoss,
    TotalPersistenceLoss,
    sliced_wasserstein_distance,
    wasserstein_distance,
)
from tda_pipe.losses.mst_length import MSTLengthLoss
from tda_pipe.losses.signature import SignatureLoss

__all__ = [
    "DiagramDistanceLoss",
    "MSTLengthLoss",
    "PersistenceEntropyLoss",
    "SignatureLoss",
    "TotalPersistenceLoss",
    "sliced_wasserstein_distance",
    "wasserstein_distance",
]
