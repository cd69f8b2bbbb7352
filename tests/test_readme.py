"""The guide: every Python block of README.md and of the docs site's pages runs as pasted, and
what the README says of the shipped torus is what tda-pipe computes.

Each ```python block runs alone, in a fresh namespace, in an empty folder holding only a link
to ``examples/`` (the README's commands run from the repository root). A block may be skipped
only by an HTML comment ``<!-- readme: skip, needs the network -->`` (or ``a GPU``) on the line
above it; none is.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import tda_pipe as tp
from tda_pipe.tda.summary import summarize

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(
    r"^(?:<!-- readme: skip, (?P<skip>[^>]*?) -->\n)?```python\n(?P<code>.*?)^```", re.M | re.S
)
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _blocks(path: Path) -> list[tuple[str, str, str | None]]:
    """``(where, code, skip reason)`` of every Python block of ``path``."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(ROOT).as_posix()
    return [
        (f"{name}:{text.count(chr(10), 0, m.start('code')) + 1}", m["code"], m["skip"])
        for m in BLOCK.finditer(text)
    ]


BLOCKS = [block for path in GUIDES for block in _blocks(path)]


def test_every_python_block_is_found():
    assert len(_blocks(ROOT / "README.md")) >= 8
    assert len(BLOCKS) == sum(p.read_text(encoding="utf-8").count("```python") for p in GUIDES)


@pytest.mark.parametrize("where,code,skip", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_python_block_runs_as_pasted(where, code, skip, tmp_path, monkeypatch):
    if skip is not None:
        assert re.fullmatch(r"needs (the network|a GPU)", skip), f"no reason to skip: {skip!r}"
        pytest.skip(skip)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{where} (a block)", "exec"), {"__name__": "__guide__"})


def test_the_figure_is_shown_and_committed():
    (path,) = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", README)
    assert path == "docs/torus.png"
    png = (ROOT / path).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_the_summary_of_the_shipped_torus_is_the_one_the_readme_reads():
    """The table of ``tda-pipe analyze examples/torus.npy`` as the README quotes it."""
    d = tp.persistence(np.load(ROOT / "examples" / "torus.npy"), max_dim=1)
    s = summarize(d)
    assert s["scales"] == [0.1794, 0.4485, 0.897, 1.346, 1.615]
    assert f"Betti numbers at scales {', '.join(f'{v:g}' for v in s['scales'])}" in README
    rows = {
        "H0": "400          1       0–inf    116      5.9  320 35 1 1 1",
        "H1": "113          0  0.565–1.79     20     4.14   0 14 25 2 2",
    }
    for name, quoted in rows.items():
        h = s["dimensions"][name]
        (birth, death), *_ = h["most_persistent"]
        death = "inf" if death is None else f"{death:.3g}"
        values = [
            str(h["n_classes"]),
            str(h["n_essential"]),
            f"{birth:.3g}–{death}",
            f"{h['total_persistence']:.3g}",
            f"{h['entropy']:.3g}",
            *map(str, h["betti"].values()),
        ]
        assert quoted.split() == values
        assert f" {name}       {quoted}" in README
    assert f"ln {s['dimensions']['H1']['n_classes']} = 4.73" in README
    assert round(np.log(113), 2) == 4.73
