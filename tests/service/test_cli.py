"""The `ltrr` command line, end to end through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from catalog.store import EntityStore
from service.cli import app

runner = CliRunner()


def _text(output: str) -> str:
    """The console output with rich's wrapping at the terminal width undone."""
    return " ".join(output.split())


def test_generate_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        result = runner.invoke(
            app, ["catalog", "generate", "--size", "300", "--seed", "3", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    assert len(rows) == 300
    assert {row["type"] for row in rows} >= {"track", "artist", "album"}


def test_index_then_delete(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.jsonl"
    runner.invoke(
        app, ["catalog", "generate", "--size", "200", "--seed", "1", "--out", str(catalog)]
    )
    data_dir = tmp_path / "data"
    result = runner.invoke(app, ["index", "--catalog", str(catalog), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "200 upserted" in _text(result.output)
    first_id = json.loads(catalog.read_text().splitlines()[0])["id"]
    result = runner.invoke(
        app, ["catalog", "delete", first_id, "no-such-id", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "deleted 1 of 2" in _text(result.output)
    with EntityStore(data_dir / "catalog.sqlite") as store:
        assert store.get(first_id) is None
        assert len(store) == 199


def test_index_reports_bad_rows_or_fails_in_strict_mode(tmp_path: Path) -> None:
    catalog = tmp_path / "bad.jsonl"
    catalog.write_text(
        '{"id": "t1", "type": "track", "title": "Good"}\n'
        '{"id": "t2", "type": "spaceship", "title": "Bad type"}\n'
        "not json\n"
    )
    data_dir = tmp_path / "data"
    lenient = runner.invoke(app, ["index", "--catalog", str(catalog), "--data-dir", str(data_dir)])
    assert lenient.exit_code == 0, lenient.output
    assert "skipped 2 bad row(s)" in _text(lenient.output)
    assert "bad.jsonl:2" in _text(lenient.output)
    strict = runner.invoke(
        app, ["index", "--catalog", str(catalog), "--data-dir", str(tmp_path / "s"), "--strict"]
    )
    assert strict.exit_code == 2
    assert "bad.jsonl:2" in _text(strict.output)
    assert "Traceback" not in strict.output


def test_index_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["index", "--catalog", str(tmp_path / "nope.jsonl"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "not found" in _text(result.output)


def test_serve_refuses_an_empty_data_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "ltrr index" in _text(result.output)
