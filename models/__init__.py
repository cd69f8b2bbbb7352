"""Torch models on topological layers: autoencoders, filtration learning, graph classifiers."""

from tda_pipe.models.autoencoder import (
    AutoencoderConfig,
    TopologicalAutoencoder,
    train_autoencoder,
)
from tda_pipe.models.filtration import FiltrationNet
from tda_pipe.models.mapper_gnn import MapperGNN, train_mapper_gnn
from tda_pipe.models.topological_classifier import (
    ClassifierConfig,
    TopologicalClassifier,
    train_filtration_classifier,
)

__all__ = [
    "AutoencoderConfig",
    "ClassifierConfig",
    "FiltrationNet",
    "MapperGNN",
    "TopologicalAutoencoder",
    "TopologicalClassifier",
    "train_autoencoder",
    "train_filtration_classifier",
    "train_mapper_gnn",
]
