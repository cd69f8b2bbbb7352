"""Torch models built on topological layers: autoencoders, filtration learning, graph classifiers."""
