"""Filtration builders (in progress)."""


def build_filtration(*args, **kwargs):
    raise NotImplementedError
