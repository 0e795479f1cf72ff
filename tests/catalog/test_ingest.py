"""Tests for catalog.ingest: formats, deletes, and how bad rows are reported."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from catalog import ingest
from catalog.ingest import CatalogError, CatalogReader, Delete, RowError, Upsert
from catalog.model import Entity, EntityType

GOOD_JSON = b'{"id": "t1", "type": "track", "title": "One"}'
GOOD_JSON_2 = b'{"id": "t2", "type": "track", "title": "Two"}'
CSV_HEADER = b"id,type,title,explicit,release_year,popularity,genres,attr.bpm,op"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``name``, gzipping it when the name ends in .gz."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.lower().endswith(".gz") else data)
    return path


def read_all(path: Path, *, strict: bool = False) -> tuple[list[Upsert | Delete], CatalogReader]:
    reader = CatalogReader(path, strict=strict)
    return list(reader), reader


def upserted(changes: list[Upsert | Delete]) -> list[Entity]:
    return [change.entity for change in changes if isinstance(change, Upsert)]


# --- bad rows ----------------------------------------------------------------

BAD_JSONL_ROWS = [
    pytest.param(b"{bad", r"invalid JSON: unexpected character.*\(column 2\)", id="invalid-json"),
    pytest.param(b'{"id": "t9",}', r"invalid JSON: trailing comma", id="trailing-comma"),
    pytest.param(b"[1, 2]", r"expected a JSON object, got an array", id="array"),
    pytest.param(b'"t9"', r"expected a JSON object, got a string", id="string"),
    pytest.param(b"null", r"expected a JSON object, got null", id="null"),
    pytest.param(b'{"id": "t9", "type": "track"}', r"^title: Field required$", id="missing"),
    pytest.param(
        b'{"id": "t9", "type": "track", "title": "x", "release_year": 3000}',
        r"^release_year: Input should be less than or equal to 2100$",
        id="out-of-range",
    ),
    pytest.param(
        b'{"id": "t 9", "type": "song", "title": "x", "language": "EN"}',
        r"^id: String should match pattern .*; type: Input should be 'track'.*; "
        r"language: String should match pattern",
        id="all-errors-joined",
    ),
    pytest.param(
        b'{"id": "t9", "type": "track", "title": "x", "bpm": 120}',
        r"^bpm: Extra inputs are not permitted$",
        id="unknown-field",
    ),
    pytest.param(
        b'{"id": "t9", "type": "track", "title": "x", "attributes": {"k": [1]}}',
        r"^attributes\.k: Input should be a string, number or boolean$",
        id="bad-attribute",
    ),
    pytest.param(b'{"id": "t\xff9"}', r"^invalid UTF-8 at byte 10 of the line$", id="utf8"),
    pytest.param(b'{"id": "t1", "op": "nuke"}', r"^op: unknown operation 'nuke'", id="op"),
    pytest.param(b'{"op": "delete"}', r"^id: Field required$", id="delete-no-id"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_JSONL_ROWS)
def test_bad_jsonl_row_is_recorded_and_skipped(tmp_path: Path, row: bytes, reason: str) -> None:
    path = write(tmp_path, "catalog.jsonl", b"\n".join([GOOD_JSON, row, GOOD_JSON_2]) + b"\n")
    changes, reader = read_all(path)
    assert [entity.id for entity in upserted(changes)] == ["t1", "t2"]
    assert len(reader.errors) == reader.error_count == 1
    error = reader.errors[0]
    assert (error.path, error.line) == (str(path), 2)
    assert re.search(reason, error.reason), error.reason
    assert str(error) == f"{path}:2: {error.reason}"
    assert reader.rows_read == 3


@pytest.mark.parametrize(("row", "reason"), BAD_JSONL_ROWS)
def test_bad_jsonl_row_fails_strict_mode(tmp_path: Path, row: bytes, reason: str) -> None:
    path = write(tmp_path, "catalog.jsonl", b"\n".join([GOOD_JSON, row, GOOD_JSON_2]))
    reader = CatalogReader(path, strict=True)
    seen: list[Upsert | Delete] = []
    expected = re.escape(f"{path}:2: ") + reason.removeprefix("^")
    with pytest.raises(CatalogError, match=expected) as caught:
        seen.extend(reader)
    assert len(seen) == 1
    assert caught.value.row_error == reader.errors[0]


BAD_CSV_ROWS = [
    pytest.param(
        b"t9,track,x,maybe,,,,,",
        r"^explicit: expected a boolean \(true/false, 1/0, yes/no\), got 'maybe'$",
        id="bool",
    ),
    pytest.param(
        b"t9,track,x,,abc,,,,", r"^release_year: Input should be a valid integer", id="int"
    ),
    pytest.param(b"t9,track,x,,,high,,,", r"^popularity: Input should be a valid number", id="num"),
    pytest.param(
        b"t9,track,x,,3000,,,,",
        r"^release_year: Input should be less than or equal to 2100$",
        id="range",
    ),
    pytest.param(
        b"t9,track,x,maybe,abc,,,,",
        r"^explicit: expected a boolean.*; release_year: Input should be a valid integer",
        id="all-errors-joined",
    ),
    pytest.param(b"t9,track,,,,,,,", r"^title: Field required$", id="empty-required"),
    pytest.param(b"t9,song,x,,,,,,", r"^type: Input should be 'track'", id="enum"),
    pytest.param(b"t9,track,x", r"^expected 9 cells \(one per header column\), got 3$", id="short"),
    pytest.param(b"t9,track,x,,,,,,,extra", r"^expected 9 cells .*got 10$", id="long"),
    pytest.param(b't9,track,"x"y,,,,,,', r"^malformed CSV: ',' expected after '\"'$", id="quote"),
    pytest.param(b"t9,track,\xff,,,,,,", r"^invalid UTF-8 in column\(s\): title$", id="utf8"),
    pytest.param(b"t9,track,x,,,,,,nuke", r"^op: unknown operation 'nuke'", id="op"),
    pytest.param(b"t 9,track,,,,,,,delete", r"^id: String should match pattern", id="delete-id"),
]


def _csv(row: bytes) -> bytes:
    return b"\n".join([CSV_HEADER, b"t1,track,One,,,,,,", row, b"t2,track,Two,,,,,,"]) + b"\n"


@pytest.mark.parametrize(("row", "reason"), BAD_CSV_ROWS)
def test_bad_csv_row_is_recorded_and_skipped(tmp_path: Path, row: bytes, reason: str) -> None:
    path = write(tmp_path, "catalog.csv", _csv(row))
    changes, reader = read_all(path)
    assert [entity.id for entity in upserted(changes)] == ["t1", "t2"]
    assert reader.error_count == 1
    assert (reader.errors[0].path, reader.errors[0].line) == (str(path), 3)
    assert re.search(reason, reader.errors[0].reason), reader.errors[0].reason
    assert reader.rows_read == 3


@pytest.mark.parametrize(("row", "reason"), BAD_CSV_ROWS)
def test_bad_csv_row_fails_strict_mode(tmp_path: Path, row: bytes, reason: str) -> None:
    path = write(tmp_path, "catalog.csv", _csv(row))
    expected = re.escape(f"{path}:3: ") + reason.removeprefix("^")
    with pytest.raises(CatalogError, match=expected):
        list(CatalogReader(path, strict=True))


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        pytest.param(b"id,type,title,title", r"duplicate header column\(s\): title", id="dup"),
        pytest.param(b"id,type,title,genre", r"unknown column\(s\): 'genre'", id="unknown"),
        pytest.param(b"id,type,title,attributes", r"unknown column\(s\): 'attributes'", id="attrs"),
        pytest.param(b"id,type,title,attr.", r"unknown column\(s\): 'attr.'", id="attr-no-name"),
        pytest.param(b"id,title", r"missing required column\(s\): type", id="missing"),
        pytest.param(b'id,"type', r"malformed CSV header", id="malformed"),
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_bad_csv_header_always_fails(
    tmp_path: Path, header: bytes, reason: str, strict: bool
) -> None:
    path = write(tmp_path, "catalog.csv", b"\n" + header + b"\nt1,track,One,x\n")
    with pytest.raises(CatalogError, match=re.escape(f"{path}:2: ") + reason):
        list(CatalogReader(path, strict=strict))


def test_empty_csv_has_no_header(tmp_path: Path) -> None:
    path = write(tmp_path, "catalog.csv", b"\n\n")
    with pytest.raises(CatalogError, match="no header row"):
        list(CatalogReader(path))


def test_blank_lines_are_ignored_but_counted_in_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "catalog.jsonl", b"\n  \n" + GOOD_JSON + b"\r\n\n[]\n")
    changes, reader = read_all(path)
    assert len(changes) == 1
    assert reader.rows_read == 2
    assert [(error.line, error.reason) for error in reader.errors] == [
        (5, "expected a JSON object, got an array")
    ]


def test_blank_csv_rows_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "catalog.csv", b"id,type,title\r\n\r\n,,\r\nt1,track,One\r\nt2\r\n")
    changes, reader = read_all(path)
    assert [entity.id for entity in upserted(changes)] == ["t1"]
    assert [error.line for error in reader.errors] == [5]


def test_recorded_errors_are_capped_but_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_RECORDED_ERRORS", 3)
    path = write(tmp_path, "catalog.jsonl", b"[]\n" * 5 + GOOD_JSON)
    changes, reader = read_all(path)
    assert len(changes) == 1
    assert [error.line for error in reader.errors] == [1, 2, 3]
    assert reader.error_count == 5


def test_overlong_jsonl_line_is_a_row_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_LINE_BYTES", 64)
    long_row = b'{"id": "t9", "type": "track", "title": "' + b"x" * 200 + b'"}'
    path = write(tmp_path, "catalog.jsonl", b"\n".join([long_row, GOOD_JSON, long_row]))
    changes, reader = read_all(path)
    assert [entity.id for entity in upserted(changes)] == ["t1"]
    assert [str(error) for error in reader.errors] == [
        f"{path}:1: line longer than 64 bytes",
        f"{path}:3: line longer than 64 bytes",
    ]


def test_overlong_csv_line_fails_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "MAX_LINE_BYTES", 64)
    path = write(tmp_path, "catalog.csv", b"id,type,title\nt1,track," + b"x" * 100 + b"\n")
    with pytest.raises(CatalogError, match=re.escape(f"{path}:2: line longer than 64 bytes")):
        list(CatalogReader(path))


# --- files -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["c.jsonl", "c.ndjson", "c.jsonl.gz", "c.ndjson.gz", "c.JSONL", "c.v2.jsonl.GZ"],
)
def test_jsonl_suffixes(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, GOOD_JSON + b"\n" + GOOD_JSON_2 + b"\n")
    changes, _ = read_all(path)
    assert [entity.id for entity in upserted(changes)] == ["t1", "t2"]


@pytest.mark.parametrize("name", ["c.csv", "c.csv.gz", "c.CSV"])
def test_csv_suffixes(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, b"id,type,title\nt1,track,One\n")
    changes, _ = read_all(path)
    assert upserted(changes) == [Entity(id="t1", type=EntityType.TRACK, title="One")]


def test_gzip_errors_keep_their_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl.gz", GOOD_JSON + b"\n{nope\n")
    _, reader = read_all(path)
    assert [error.line for error in reader.errors] == [2]


@pytest.mark.parametrize("name", ["c.json", "c.tsv", "c", "c.gz", "c.jsonl.zip"])
def test_unknown_suffix_is_rejected_up_front(tmp_path: Path, name: str) -> None:
    with pytest.raises(CatalogError, match="unsupported catalog file type"):
        CatalogReader(tmp_path / name)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        pytest.param("missing.jsonl", None, "No such file or directory", id="missing"),
        pytest.param("plain.jsonl.gz", GOOD_JSON, "Not a gzipped file", id="not-gzip"),
        pytest.param("cut.csv.gz", gzip.compress(b"id,type,title\n" * 99)[:-12], "ended", id="cut"),
    ],
)
def test_unreadable_file(tmp_path: Path, name: str, data: bytes | None, reason: str) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    expected = re.escape(f"{path}: cannot read file: ") + f".*{reason}"
    with pytest.raises(CatalogError, match=expected):
        list(CatalogReader(path))


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    jsonl, _ = read_all(write(tmp_path, "c.jsonl", bom + GOOD_JSON))
    csv, _ = read_all(write(tmp_path, "c.csv", bom + b"id,type,title\nt1,track,One\n"))
    assert upserted(jsonl) == upserted(csv) == [Entity(id="t1", type=EntityType.TRACK, title="One")]


def test_iterating_again_rereads_and_resets_counters(tmp_path: Path) -> None:
    reader = CatalogReader(write(tmp_path, "c.jsonl", GOOD_JSON + b"\n[]\n"))
    assert list(reader) == list(reader)
    assert (reader.rows_read, reader.error_count, len(reader.errors)) == (2, 1, 1)


# --- CSV values and deletes ----------------------------------------------------


def test_csv_lists_numbers_and_text(tmp_path: Path) -> None:
    data = (
        b"id,type,title,artists,artist_ids,genres,moods,tags,release_year,duration_ms,popularity\n"
        b'e1,episode,"Ep, one",A | B||A,a1|b1,Rock|POP| rock,calm,Tag,1994,180000,55.5\n'
    )
    changes, reader = read_all(write(tmp_path, "c.csv", data))
    assert reader.errors == []
    assert upserted(changes) == [
        Entity(
            id="e1",
            type=EntityType.EPISODE,
            title="Ep, one",
            artists=["A", "B"],
            artist_ids=["a1", "b1"],
            genres=["rock", "pop"],
            moods=["calm"],
            tags=["tag"],
            release_year=1994,
            duration_ms=180_000,
            popularity=55.5,
        )
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("true", True), ("FALSE", False), ("1", True), ("0", False), ("Yes", True), ("no", False)],
)
def test_csv_booleans(tmp_path: Path, cell: str, expected: bool) -> None:
    path = write(tmp_path, "c.csv", f"id,type,title,explicit\nt1,track,One,{cell}\n".encode())
    changes, _ = read_all(path)
    assert upserted(changes)[0].explicit is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("120", 120),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("true", True),
        ("False", False),
        ("007", "007"),
        ("1e999", "1e999"),
        ("yes", "yes"),
        ("C# minor", "C# minor"),
    ],
)
def test_csv_attribute_values(tmp_path: Path, cell: str, expected: object) -> None:
    path = write(tmp_path, "c.csv", f"id,type,title,attr.x\nt1,track,One,{cell}\n".encode())
    changes, _ = read_all(path)
    value = upserted(changes)[0].attributes["x"]
    assert (value, type(value)) == (expected, type(expected))


def test_empty_csv_cells_are_missing(tmp_path: Path) -> None:
    data = b"id,type,title,explicit,genres,attr.x,album\nt1,track,One,,, ,\n"
    changes, _ = read_all(write(tmp_path, "c.csv", data))
    assert upserted(changes) == [Entity(id="t1", type=EntityType.TRACK, title="One")]


def test_multiline_csv_cell_reports_the_row_start(tmp_path: Path) -> None:
    data = b'id,type,title,description\nt1,show,One,"two\nlines"\nt2,show\n'
    changes, reader = read_all(write(tmp_path, "c.csv", data))
    assert upserted(changes)[0].description == "two\nlines"
    assert [error.line for error in reader.errors] == [4]


def test_every_entity_field_but_attributes_is_a_csv_column() -> None:
    assert set(ingest.CSV_FIELD_CONVERTERS) == set(Entity.model_fields) - {"attributes"}


def test_jsonl_deletes(tmp_path: Path) -> None:
    data = GOOD_JSON + (
        b'\n{"id": "t1", "op": "delete"}\n{"id": "t2", "op": "delete", "title": "ignored"}'
        b'\n{"id": "t3", "type": "track", "title": "Three", "op": "upsert"}'
    )
    changes, reader = read_all(write(tmp_path, "c.jsonl", data))
    assert reader.errors == []
    assert changes == [
        Upsert(Entity(id="t1", type=EntityType.TRACK, title="One")),
        Delete("t1"),
        Delete("t2"),
        Upsert(Entity(id="t3", type=EntityType.TRACK, title="Three")),
    ]


def test_csv_deletes(tmp_path: Path) -> None:
    data = (
        b"op,id,type,title,release_year\n"
        b",t1,track,One,\n"
        b"upsert,t2,track,Two,\n"
        b" delete ,t1,,,not-checked\n"
    )
    changes, reader = read_all(write(tmp_path, "c.csv", data))
    assert reader.errors == []
    assert changes == [
        Upsert(Entity(id="t1", type=EntityType.TRACK, title="One")),
        Upsert(Entity(id="t2", type=EntityType.TRACK, title="Two")),
        Delete("t1"),
    ]


def test_row_error_str() -> None:
    error = RowError("catalog.csv", 17, "release_year: Input should be less than or equal to 2100")
    assert str(error) == "catalog.csv:17: release_year: Input should be less than or equal to 2100"
