"""Topological losses for torch models (see the differentiable-persistence issue)."""
