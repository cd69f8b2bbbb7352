"""Torch models on topological layers: autoencoders, filtration learning, graph classifiers."""

from tda_pipe.tda.models.autoencoder import (
    AutoencoderConfig,
    TopologicalAutoencoder,
    train_autoencoder,
)
from tda_pipe.tda.models.mapper_gnn import MapperGNN, train_mapper_gnn

__all__ = [
    "AutoencoderConfig",
    "MapperGNN",
    "TopologicalAutoencoder",
    "train_autoencoder",
    "train_mapper_gnn",
]
