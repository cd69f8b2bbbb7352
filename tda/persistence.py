"""Persistence (in progress)."""


def persistence(*args, **kwargs):
    raise NotImplementedError
