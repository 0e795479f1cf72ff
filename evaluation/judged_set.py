"""Judged query sets: queries and their graded relevance judgments, read from two files.

* queries, one per line as ``qid<TAB>text`` (UTF-8, no header, blank lines ignored);
* TREC qrels, one judgment per line as ``qid iteration entity_id grade`` (whitespace-separated;
  the iteration column is ignored, as ``trec_eval`` does; grades above 0 are relevant).

Every malformed line is reported with its file and line number (:class:`JudgedSetError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class JudgedSetError(ValueError):
    """A line of a queries or qrels file that cannot be read; names the file and line."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class JudgedQuery(BaseModel):
    """One query of a judged set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    qid: str = Field(min_length=1)
    text: str = Field(min_length=1)


class JudgedSet(BaseModel):
    """Queries and their graded relevance judgments (``qid → entity_id → grade``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queries: list[JudgedQuery]
    qrels: dict[str, dict[str, int]]
    queries_path: str | None = None
    qrels_path: str | None = None

    @property
    def relevant(self) -> dict[str, dict[str, int]]:
        """Judgments with a grade above 0, for queries that have at least one."""
        out: dict[str, dict[str, int]] = {}
        for qid, judgments in self.qrels.items():
            positive = {eid: grade for eid, grade in judgments.items() if grade > 0}
            if positive:
                out[qid] = positive
        return out

    @property
    def judgment_count(self) -> int:
        return sum(len(judgments) for judgments in self.qrels.values())


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered (from 1) text lines of a UTF-8 file, without line endings; a leading BOM is
    dropped and a line that is not valid UTF-8 is reported with its number."""
    data = path.read_bytes()
    data = data.removeprefix(b"\xef\xbb\xbf")
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JudgedSetError(
                path, number, f"invalid UTF-8 at byte {error.start} of the line"
            ) from error
        yield number, line.removesuffix("\r")


def load_queries(path: Path) -> list[JudgedQuery]:
    """Read a ``qid<TAB>text`` file; every bad line raises :class:`JudgedSetError`."""
    queries: list[JudgedQuery] = []
    first_line: dict[str, int] = {}
    for number, line in _lines(path):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise JudgedSetError(
                path,
                number,
                f"expected 2 tab-separated fields 'qid<TAB>text', got {len(fields)}",
            )
        qid, text = fields[0].strip(), fields[1].strip()
        if not qid or any(char.isspace() for char in qid):
            raise JudgedSetError(path, number, f"query id must be one non-empty word, got {qid!r}")
        if not text:
            raise JudgedSetError(path, number, f"query {qid!r} has an empty text")
        if qid in first_line:
            raise JudgedSetError(
                path, number, f"duplicate query id {qid!r} (first on line {first_line[qid]})"
            )
        first_line[qid] = number
        queries.append(JudgedQuery(qid=qid, text=text))
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read TREC qrels ``qid iteration entity_id grade``; bad lines raise
    :class:`JudgedSetError`. Judgments keep the file's order within each query."""
    qrels: dict[str, dict[str, int]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for number, line in _lines(path):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise JudgedSetError(
                path,
                number,
                f"expected 4 fields 'qid iteration entity_id grade', got {len(fields)}",
            )
        qid, _iteration, entity_id, grade_text = fields
        try:
            grade = int(grade_text)
        except ValueError as error:
            raise JudgedSetError(
                path, number, f"grade must be an integer, got {grade_text!r}"
            ) from error
        key = (qid, entity_id)
        if key in first_line:
            raise JudgedSetError(
                path,
                number,
                f"duplicate judgment for query {qid!r} and {entity_id!r} "
                f"(first on line {first_line[key]})",
            )
        first_line[key] = number
        qrels.setdefault(qid, {})[entity_id] = grade
    return qrels


def load_judged_set(queries_path: Path, qrels_path: Path) -> JudgedSet:
    """Read a judged set; a judgment for a query id missing from the queries is an error
    (it usually means the two files number their queries differently)."""
    queries = load_queries(queries_path)
    qrels = load_qrels(qrels_path)
    known = {query.qid for query in queries}
    unknown = [qid for qid in qrels if qid not in known]
    if unknown:
        line = _first_line_of(qrels_path, unknown[0])
        raise JudgedSetError(
            qrels_path,
            line,
            f"query id {unknown[0]!r} is not in {queries_path} "
            f"({len(unknown)} judged query id(s) missing there)",
        )
    return JudgedSet(
        queries=queries,
        qrels=qrels,
        queries_path=str(queries_path),
        qrels_path=str(qrels_path),
    )


def _first_line_of(qrels_path: Path, qid: str) -> int:
    for number, line in _lines(qrels_path):
        fields = line.split()
        if fields and fields[0] == qid:
            return number
    return 0  # pragma: no cover - the qid came from this file
