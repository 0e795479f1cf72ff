"""Read catalog files (JSONL or CSV, optionally gzipped) into a stream of changes.

A catalog file lists upserts and deletes keyed by entity id, so re-ingesting it
converges on the same store state. Rows are parsed one at a time and memory
stays bounded: lines are capped at ``MAX_LINE_BYTES`` and at most
``MAX_RECORDED_ERRORS`` bad rows are kept (all are counted).

Bad rows never vanish silently: lenient mode skips and records each one as a
``RowError`` (file, line, reason); strict mode raises ``CatalogError`` at the
first. File-level problems (unreadable file, unknown suffix, bad CSV header)
always raise ``CatalogError``: no row of such a file can be trusted.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BufferedIOBase
from pathlib import Path
from typing import Any, Final, Literal, get_origin

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from catalog.model import Entity, EntityId

MAX_RECORDED_ERRORS: Final = 10_000
"""Bad rows kept in ``CatalogReader.errors``; later ones are only counted."""

MAX_LINE_BYTES: Final = 1 << 20
"""Longest accepted physical line; a longer one means a broken or foreign file."""

LIST_SEPARATOR: Final = "|"
ATTRIBUTE_PREFIX: Final = "attr."
OP_COLUMN: Final = "op"
REQUIRED_CSV_COLUMNS: Final = ("id", "type", "title")
JSONL_SUFFIXES: Final = frozenset({".jsonl", ".ndjson"})
CSV_SUFFIXES: Final = frozenset({".csv"})

_BOM: Final = b"\xef\xbb\xbf"
_TRUE: Final = frozenset({"true", "1", "yes"})
_FALSE: Final = frozenset({"false", "0", "no"})
_SURROGATE_RE: Final = re.compile("[\udc80-\udcff]")
_JSON_KINDS: Final[dict[type, str]] = {
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
}
# Attribute values: no leading zeros, so codes such as "007" stay strings.
_ATTR_INT_RE: Final = re.compile(r"-?(?:0|[1-9]\d*)")
_ATTR_FLOAT_RE: Final = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")

Format = Literal["jsonl", "csv"]


@dataclass(frozen=True)
class RowError:
    """One bad row: where it is and what is wrong with it."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class CatalogError(ValueError):
    """A catalog file cannot be read, or (strict mode) one of its rows is bad."""

    def __init__(self, message: str, row_error: RowError | None = None) -> None:
        super().__init__(message)
        self.row_error = row_error


@dataclass(frozen=True)
class Upsert:
    """Insert the entity, or replace the stored entity with the same id."""

    entity: Entity


@dataclass(frozen=True)
class Delete:
    """Remove the entity with this id (a no-op when it is not stored)."""

    id: str


CatalogChange = Upsert | Delete

_Outcome = CatalogChange | str
"""A parsed row, or the reason it is bad."""


class _DeleteRow(BaseModel):
    """A delete row only needs a valid id; other fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: EntityId


class CatalogReader:
    """Stream the changes in one catalog file, recording (or raising on) bad rows.

    ``rows_read`` counts data rows, good and bad; blank lines and the CSV
    header are not rows. Counters and errors are reset when iteration starts.
    """

    def __init__(self, path: Path, *, strict: bool = False) -> None:
        self.path = Path(path)
        self.strict = strict
        self.format, self.compressed = detect_format(self.path)
        self.errors: list[RowError] = []
        self.error_count = 0
        self.rows_read = 0

    def __iter__(self) -> Iterator[CatalogChange]:
        self.errors = []
        self.error_count = 0
        self.rows_read = 0
        try:
            with _open_binary(self.path, self.compressed) as stream:
                rows = _jsonl_rows(stream) if self.format == "jsonl" else _csv_rows(stream, self)
                for line, outcome in rows:
                    self.rows_read += 1
                    if isinstance(outcome, str):
                        self._record(line, outcome)
                    else:
                        yield outcome
        except (OSError, EOFError, zlib.error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise CatalogError(f"{self.path}: cannot read file: {reason}") from exc

    def _record(self, line: int, reason: str) -> None:
        error = RowError(str(self.path), line, reason)
        self.error_count += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append(error)
        if self.strict:
            raise CatalogError(str(error), error)

    def file_error(self, line: int, reason: str) -> CatalogError:
        """A fatal problem at a known line (CSV header, overlong CSV line)."""
        return CatalogError(str(RowError(str(self.path), line, reason)))


def detect_format(path: Path) -> tuple[Format, bool]:
    """The file format and whether it is gzipped, from the suffixes."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    if last in JSONL_SUFFIXES:
        return "jsonl", compressed
    if last in CSV_SUFFIXES:
        return "csv", compressed
    raise CatalogError(
        f"{path}: unsupported catalog file type {''.join(path.suffixes)!r}; "
        "expected .jsonl, .ndjson or .csv, optionally followed by .gz"
    )


def _open_binary(path: Path, compressed: bool) -> BufferedIOBase:
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _lines(stream: BufferedIOBase) -> Iterator[bytes | None]:
    """Physical lines with their endings; None stands for a line over the cap."""
    first = True
    while line := stream.readline(MAX_LINE_BYTES):
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line.removeprefix(_BOM) if first else line
        first = False


# --- JSONL -----------------------------------------------------------------


def _jsonl_rows(stream: BufferedIOBase) -> Iterator[tuple[int, _Outcome]]:
    for number, raw in enumerate(_lines(stream), start=1):
        if raw is None:
            yield number, f"line longer than {MAX_LINE_BYTES} bytes"
        elif raw.strip():
            yield number, _parse_json_line(raw)


def _parse_json_line(raw: bytes) -> _Outcome:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start + 1} of the line"
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {_JSON_KINDS.get(type(obj), 'null')}"
    op = obj.pop(OP_COLUMN, None)
    if op is None or op == "upsert":
        return _validate_entity(obj)
    if op == "delete":
        return _validate_delete(obj)
    return _unknown_op(op)


def _unknown_op(op: object) -> str:
    return f"{OP_COLUMN}: unknown operation {op!r} (expected 'upsert' or 'delete')"


def _validate_entity(data: dict[str, Any]) -> _Outcome:
    try:
        return Upsert(Entity.model_validate(data))
    except ValidationError as exc:
        return describe_validation_error(exc)


def _validate_delete(data: dict[str, Any]) -> _Outcome:
    try:
        return Delete(_DeleteRow.model_validate(data).id)
    except ValidationError as exc:
        return describe_validation_error(exc)


def describe_validation_error(exc: ValidationError) -> str:
    """All of pydantic's errors as ``field: message``, joined by ``; ``.

    A bad attribute value fails every member of the attribute union; those
    are folded into one message per attribute.
    """
    messages: dict[str, None] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = [str(part) for part in error["loc"]]
        msg = error["msg"]
        if len(loc) == 3 and loc[0] == "attributes":
            loc, msg = loc[:2], "Input should be a string, number or boolean"
        where = ".".join(loc)
        messages.setdefault(f"{where}: {msg}" if where else msg, None)
    return "; ".join(messages)


# --- CSV -------------------------------------------------------------------


def _csv_rows(stream: BufferedIOBase, reader: CatalogReader) -> Iterator[tuple[int, _Outcome]]:
    rows = csv.reader(_csv_text(stream, reader), strict=True)
    header: list[str] | None = None
    last_line = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            if header is None:
                raise reader.file_error(last_line + 1, f"malformed CSV header: {exc}") from exc
            yield last_line + 1, f"malformed CSV: {exc}"
            last_line = rows.line_num
            continue
        start, last_line = last_line + 1, rows.line_num
        if all(not cell.strip() for cell in cells):
            continue
        if header is None:
            header = _check_header(cells, start, reader)
        else:
            yield start, _parse_csv_row(header, cells)
    if header is None:
        raise reader.file_error(1, "empty CSV file: no header row")


def _csv_text(stream: BufferedIOBase, reader: CatalogReader) -> Iterator[str]:
    """Decoded lines; invalid UTF-8 survives as surrogates and is reported per cell."""
    for number, raw in enumerate(_lines(stream), start=1):
        if raw is None:
            raise reader.file_error(number, f"line longer than {MAX_LINE_BYTES} bytes")
        yield raw.decode("utf-8", errors="surrogateescape")


def _split_list(value: str) -> list[str]:
    return value.split(LIST_SEPARATOR)


def _parse_bool(value: str) -> bool:
    if (lowered := value.lower()) in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ValueError(f"expected a boolean (true/false, 1/0, yes/no), got {value!r}")


def _converter(annotation: Any) -> Callable[[str], Any]:
    """Lists are split and booleans parsed here; pydantic parses numbers and enums."""
    if get_origin(annotation) is list:
        return _split_list
    return _parse_bool if annotation is bool else str


def parse_attribute(value: str) -> str | int | float | bool:
    """An ``attr.*`` cell: int, float or bool when it plainly is one, else the string."""
    if _ATTR_INT_RE.fullmatch(value):
        return int(value)
    if _ATTR_FLOAT_RE.fullmatch(value) and abs(number := float(value)) != float("inf"):
        return number
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


CSV_FIELD_CONVERTERS: Final[dict[str, Callable[[str], Any]]] = {
    name: _converter(info.annotation)
    for name, info in Entity.model_fields.items()
    if get_origin(info.annotation) is not dict
}
"""Entity fields settable from a CSV column, with the cell converter for each."""


def _check_header(cells: list[str], line: int, reader: CatalogReader) -> list[str]:
    """Reject headers no row could be read correctly under."""
    header = [cell.strip() for cell in cells]
    counts = Counter(header)
    duplicates = [name for name, count in counts.items() if count > 1]
    if duplicates:
        raise reader.file_error(line, f"duplicate header column(s): {', '.join(duplicates)}")
    unknown = [name for name in header if not _known_column(name)]
    if unknown:
        raise reader.file_error(
            line,
            f"unknown column(s): {', '.join(repr(name) for name in unknown)}; expected Entity "
            f"fields, {OP_COLUMN!r} or '{ATTRIBUTE_PREFIX}<name>'",
        )
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in counts]
    if missing:
        raise reader.file_error(line, f"missing required column(s): {', '.join(missing)}")
    return header


def _known_column(name: str) -> bool:
    if name.startswith(ATTRIBUTE_PREFIX):
        return len(name) > len(ATTRIBUTE_PREFIX)
    return name in CSV_FIELD_CONVERTERS or name == OP_COLUMN


def _invalid_utf8(cell: str) -> bool:
    """Undecodable bytes come through ``surrogateescape`` as U+DC80..U+DCFF."""
    return not cell.isascii() and _SURROGATE_RE.search(cell) is not None


def _parse_csv_row(header: list[str], cells: list[str]) -> _Outcome:
    if len(cells) != len(header):
        return f"expected {len(header)} cells (one per header column), got {len(cells)}"
    row = dict(zip(header, cells, strict=True))
    undecodable = [name for name, cell in row.items() if _invalid_utf8(cell)]
    if undecodable:
        return f"invalid UTF-8 in column(s): {', '.join(undecodable)}"
    op = row.pop(OP_COLUMN, "").strip()
    if op == "delete":
        return _validate_delete({"id": row["id"]})
    if op not in ("", "upsert"):
        return _unknown_op(op)
    data, problems = _convert_cells(row)
    outcome = _validate_entity(data)
    if not problems:
        return outcome
    if isinstance(outcome, str):
        problems.append(outcome)
    return "; ".join(problems)


def _convert_cells(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Typed values for the non-empty cells, plus a message per unconvertible cell."""
    data: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    problems: list[str] = []
    for name, cell in row.items():
        value = cell.strip()
        if not value:
            continue
        if name.startswith(ATTRIBUTE_PREFIX):
            attributes[name.removeprefix(ATTRIBUTE_PREFIX)] = parse_attribute(value)
        else:
            try:
                data[name] = CSV_FIELD_CONVERTERS[name](value)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
    if attributes:
        data["attributes"] = attributes
    return data, problems
