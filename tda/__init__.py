"""Topology: filtrations, persistence, diagrams, features and figures."""
