"""mkdocs hook: the docstrings' Sphinx roles (``:func:`~a.b.c```) rendered as code (``c``).

The docstrings are numpy style and also read by Sphinx-minded tools and ``help()``;
mkdocstrings leaves their roles as text, so the page would show ``:class:`` before each name.
A ``~`` keeps only the last part of the dotted name, as Sphinx does.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj|ref):\s*<code>(~?)([^<]+)</code>")


def _name(match: re.Match) -> str:
    short, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if short else name}</code>"


def on_page_content(html: str, **kwargs) -> str:
    """Replace each role and its code span by the code span of the name."""
    return ROLE.sub(_name, html)
