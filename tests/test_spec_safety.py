"""Hostile pipeline files: alias bombs, undecodable or unreadable files, odd names and values.

Each is refused at once with one :class:`InputError` line naming the file, through
:func:`load_spec` and through ``tda-pipe run`` (status 2, one ``error:`` line).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tda_pipe.cli import main
from tda_pipe.datasets import circle
from tda_pipe.errors import InputError
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import SpecError, load_spec, parse_spec


def laughs() -> str:
    """The anchors of a "billion laughs": ``&i`` expands to 9**9 strings."""
    anchors = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        anchors.append(f"&{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ", ".join(anchors)


BOMBS = {
    # the name is kept as a string: str() of it expands every alias
    "name": f"name: [{laughs()}]\nstages: [load, filtration, persistence]\n",
    # the parameter error quotes the bad value
    "parameter": f"stages:\n  - load\n  - report: {{scales: [{laughs()}]}}\n",
    # an anchor that contains itself
    "recursive": "name: &n [*n]\nstages: [load]\n",
}


def one_line_error(path: Path, **kwargs) -> str:
    """The message of the SpecError that reading ``path`` raises, checked to be one line."""
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        load_spec(path, **kwargs)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    # short after the file's name (pytest's folders grow longer run by run)
    assert message.startswith(str(path)) and "\n" not in message
    assert len(message) - len(str(path)) < 340
    return message


def cli_error(capsys, *args: str) -> str:
    """The one ``error:`` line ``tda-pipe run`` prints, with status 2."""
    assert main(["run", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("bomb", BOMBS)
def test_an_alias_bomb_is_refused_at_once(tmp_path, capsys, bomb):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMBS[bomb])
    assert len(BOMBS[bomb]) < 500
    assert "aliases expand it past" in one_line_error(path)
    assert "aliases expand it past" in cli_error(capsys, str(path), "x.npy")


def test_an_alias_bomb_in_an_override_is_refused(tmp_path, capsys):
    start = time.perf_counter()
    with pytest.raises(SpecError, match="aliases expand it past"):
        load_spec(None, [f"report.scales=[{laughs()}]"])
    assert time.perf_counter() - start < 1.0
    path = tmp_path / "spec.yaml"
    path.write_text("stages: [load, filtration, persistence, report]\n")
    message = cli_error(capsys, str(path), "x.npy", "--set", f"report.scales=[{laughs()}]")
    assert "aliases expand it past" in message and len(message) < 400


def test_small_aliases_still_work(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        "stages:\n  - load\n  - filtration\n  - persistence\n"
        + "  - report: {scales: &s [0.1, 0.5], top: 3}\n  - {report: {scales: *s}}\n"
    )
    spec = load_spec(path)
    assert [c.params.scales for c in spec.calls[3:]] == [[0.1, 0.5], [0.1, 0.5]]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "stages: " + "[" * 5000 + "]" * 5000),
        ("deep.toml", "stages = " + "[" * 5000 + "]" * 5000),
        ("deep.yml", "stages: [load, {report: {scales: " + "[" * 60 + "]" * 60 + "}}]"),
    ],
)
def test_deep_nesting_is_one_error(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    message = one_line_error(tmp_path / name)
    assert "nested too deeply" in message or "exceeded maximum nesting depth" in message


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\nstages: [load]\n".encode("latin-1"))
    message = one_line_error(path)
    assert "not UTF-8" in message and "offset 9" in message and "0xe9" in message
    assert "not UTF-8" in cli_error(capsys, str(path), "x.npy")
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbfstages: [load]\n")  # a BOM is fine
    assert [c.stage.name for c in load_spec(tmp_path / "bom.yaml").calls] == ["load"]


def test_unreadable_files_are_one_error(tmp_path, capsys):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert "is a directory" in one_line_error(folder)
    assert "is a directory" in cli_error(capsys, str(folder), "x.npy")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in one_line_error(fifo)
    assert "no such pipeline file" in one_line_error(tmp_path / "missing.yaml")
    assert "ends in .yaml, .yml or .toml" in one_line_error(Path(__file__))


def test_a_file_without_read_permission_is_one_error(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked.yaml"
    locked.write_text("stages: [load]\n")
    if os.geteuid() == 0:  # root reads whatever the permissions: deny the read itself

        def denied(self):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", denied)
    locked.chmod(0)
    try:
        assert "cannot read it (Permission denied)" in one_line_error(locked)
        assert "Permission denied" in cli_error(capsys, str(locked), "x.npy")
    finally:
        locked.chmod(0o600)


LONG = "x" * 100_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"stages: [load, {LONG}]\n", "unknown stage 'xxxxx"),
        (f"stages:\n- load\n- filtration:\n    ? {LONG}\n    : 1\n", "unknown parameter"),
        (f"stages: [load, {{filtration: {{kind: {LONG}}}}}]\n", "kind: Input should be"),
        (f"stages: [load]\n? {LONG}\n: 1\n", "unknown top-level key 'xxxx"),
        ('stages: [load, "a\\nb"]\n', r"unknown stage 'a\nb'"),
        ("stages: [load]\n1: x\nb: y\n", "unknown top-level key 1"),
        ("name: [a, b]\nstages: [load]\n", "name must be a string"),
        (f"stages: [load, {{filtration: [{LONG}]}}]\n", "parameters must be a mapping"),
    ],
)
def test_messages_quote_at_most_a_short_piece_of_a_value(tmp_path, text, expected):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    assert expected in one_line_error(path)


def test_stem_is_substituted_once(tmp_path, capsys):
    """An input whose own name holds ``${stem}`` is read as named, not substituted again."""
    path = tmp_path / "a${stem}b.npy"
    np.save(path, circle(30, seed=0))
    spec = parse_spec({"stages": [{"load": {"path": "${input}"}}, {"filtration": {}}]})
    assert spec.calls[0].with_input(path).params.path == str(path)
    named = parse_spec({"stages": [{"load": {"path": "${stem}-${input}-${stem}"}}]})
    assert named.calls[0].with_input(path).params.path == f"a${{stem}}b-{path}-a${{stem}}b"
    result = run_pipeline(parse_spec({"stages": ["load"]}), path, None)
    assert result.artifacts["data"].path == path
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump({"stages": ["load", "filtration", "persistence"]}))
    out = tmp_path / "out"
    assert main(["run", str(spec_file), str(path), "--out", str(out), "-q"]) == 0


def test_spec_error_is_an_input_error():
    assert issubclass(SpecError, InputError)
