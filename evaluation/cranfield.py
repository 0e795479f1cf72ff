"""The Cranfield collection as an ltrr catalog and judged query set.

Cranfield (Cleverdon, Cranfield Institute of Technology, 1960s) holds 1,400 aeronautics
abstracts, 225 queries and graded relevance judgments; ``evaluation/datasets/ir_cranfield/``
keeps a copy and its ``SOURCE.md`` documents the files. Conversion writes three files:

* ``catalog.jsonl``: every document as an ``episode`` entity of the show ``Cranfield``, with
  id ``cran:doc:<n>``, the title ``.T`` as ``title``, the authors ``.A`` as ``artists``, the
  abstract ``.W`` as ``description`` and the bibliographic source ``.B`` as an attribute. The
  source abstracts begin by repeating the title; that copy is removed, because the title is
  already indexed as its own field. Two documents (471 and 995) are empty in the source; they
  are kept, titled ``(untitled)``, so every judged document exists.
* ``queries.tsv``: ``qid<TAB>text`` where the qid is the query's ordinal 1…225 in
  ``cran.qry``, which is how ``cranqrel`` numbers queries (not the ``.I`` ids, which run
  001…365 with gaps).
* ``qrels.txt``: TREC qrels ``qid 0 cran:doc:<n> grade`` with grade = 5 - code for
  Cleverdon's codes 1 (complete answer) … 4 (minimum interest); the ``-1`` lines, one per
  query, mark non-relevance and are dropped.

A few source records are damaged (a stray ``.A``/``.B`` inside the abstract of document 240,
a repeated ``.W`` in 576 and 578): a field marker is honoured only the first time it occurs
in a record; a repeated marker line is dropped and its text stays in the current field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from catalog.model import Entity, EntityType

SOURCE_DIR = Path(__file__).resolve().parent / "datasets" / "ir_cranfield"
DOCUMENTS_FILE = "cran.all.1400.txt"
QUERIES_FILE = "cran.qry.txt"
QRELS_FILE = "cranqrel.txt"

CATALOG_OUT = "catalog.jsonl"
QUERIES_OUT = "queries.tsv"
QRELS_OUT = "qrels.txt"

SHOW = "Cranfield"
UNTITLED = "(untitled)"
NON_RELEVANT_CODE = -1
CODES = (1, 2, 3, 4)

_FIELD_MARKERS = frozenset({".T", ".A", ".B", ".W"})
_RECORD_START = re.compile(r"^\.I\s+(\d+)\s*$")


class CranfieldFormatError(ValueError):
    """A line of a Cranfield source file that cannot be read; names the file and line."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")


@dataclass(frozen=True)
class CranfieldDocument:
    number: int
    title: str
    authors: list[str]
    bibliography: str
    abstract: str


@dataclass(frozen=True)
class CranfieldQuery:
    ordinal: int
    """1-based position in ``cran.qry``: the query number used by ``cranqrel``."""
    number: int
    """The ``.I`` id in ``cran.qry``."""
    text: str


@dataclass(frozen=True)
class CranfieldJudgment:
    query: int
    """Query ordinal (1…225)."""
    document: int
    code: int
    line: int
    """Line in ``cranqrel``."""


@dataclass
class ConversionReport:
    """What a conversion wrote."""

    out_dir: Path
    documents: int = 0
    queries: int = 0
    judgments: int = 0
    dropped: int = 0
    """``-1`` (non-relevant) lines left out of the qrels."""
    grades: dict[int, int] = field(default_factory=dict)
    """Written judgments per grade."""

    @property
    def catalog_path(self) -> Path:
        return self.out_dir / CATALOG_OUT

    @property
    def queries_path(self) -> Path:
        return self.out_dir / QUERIES_OUT

    @property
    def qrels_path(self) -> Path:
        return self.out_dir / QRELS_OUT


def _clean(text: str) -> str:
    """Collapse whitespace runs (the source wraps lines and indents paragraphs)."""
    return " ".join(text.split())


def _records(path: Path) -> Iterator[tuple[int, int, dict[str, str]]]:
    """SMART records of a file as ``(line, .I number, {marker: text})``."""
    number: int | None = None
    start_line = 0
    fields: dict[str, list[str]] = {}
    current: str | None = None
    text = path.read_text(encoding="utf-8")
    for line_number, line in enumerate(text.splitlines(), start=1):
        match = _RECORD_START.match(line)
        if match:
            if number is not None:
                yield start_line, number, {k: _clean(" ".join(v)) for k, v in fields.items()}
            number, start_line, fields, current = int(match.group(1)), line_number, {}, None
            continue
        if number is None:
            if line.strip():
                raise CranfieldFormatError(path, line_number, "text before the first .I record")
            continue
        marker = line.strip()
        if marker in _FIELD_MARKERS and marker not in fields:
            current = marker
            fields[marker] = []
        elif marker in _FIELD_MARKERS:
            continue  # a repeated marker inside a damaged record: keep the current field
        elif current is None:
            if line.strip():
                raise CranfieldFormatError(
                    path, line_number, f"text outside any field in record .I {number}"
                )
        else:
            fields[current].append(line)
    if number is not None:
        yield start_line, number, {k: _clean(" ".join(v)) for k, v in fields.items()}


def _strip_period(text: str) -> str:
    return text.removesuffix(" .").strip()


def read_documents(path: Path) -> list[CranfieldDocument]:
    documents: list[CranfieldDocument] = []
    seen: set[int] = set()
    for line, number, fields in _records(path):
        if number in seen:
            raise CranfieldFormatError(path, line, f"duplicate document .I {number}")
        seen.add(number)
        title = fields.get(".T", "")
        abstract = fields.get(".W", "")
        if (
            title
            and abstract.startswith(title)
            and abstract[len(title) : len(title) + 1] in ("", " ")
        ):
            abstract = abstract[len(title) :].strip()
        authors_text = fields.get(".A", "")
        authors = [a.strip() for a in authors_text.split(" and ")] if authors_text else []
        documents.append(
            CranfieldDocument(
                number=number,
                title=_strip_period(title),
                authors=[a for a in authors if a],
                bibliography=fields.get(".B", ""),
                abstract=abstract,
            )
        )
    return documents


def read_queries(path: Path) -> list[CranfieldQuery]:
    queries: list[CranfieldQuery] = []
    for ordinal, (line, number, fields) in enumerate(_records(path), start=1):
        text = fields.get(".W", "")
        if not text:
            raise CranfieldFormatError(path, line, f"query .I {number} has no .W text")
        queries.append(CranfieldQuery(ordinal=ordinal, number=number, text=text))
    return queries


def read_qrels(path: Path) -> list[CranfieldJudgment]:
    """Every ``query_ordinal doc_id code`` line, ``-1`` lines included."""
    judgments: list[CranfieldJudgment] = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise CranfieldFormatError(
                path, line_number, f"expected 3 fields 'query doc code', got {len(fields)}"
            )
        try:
            query, document, code = (int(value) for value in fields)
        except ValueError as error:
            raise CranfieldFormatError(
                path, line_number, f"expected integers, got {line.strip()!r}"
            ) from error
        if code != NON_RELEVANT_CODE and code not in CODES:
            raise CranfieldFormatError(
                path, line_number, f"relevance code must be -1 or 1..4, got {code}"
            )
        judgments.append(
            CranfieldJudgment(query=query, document=document, code=code, line=line_number)
        )
    return judgments


def grade(code: int) -> int:
    """Graded relevance for a Cleverdon code: 1 (complete answer) → 4 … 4 (minimum) → 1."""
    if code not in CODES:
        raise ValueError(f"code must be one of {CODES}, but {code} is given")
    return 5 - code


def entity_id(document: int) -> str:
    return f"cran:doc:{document}"


def document_entity(document: CranfieldDocument) -> Entity:
    attributes: dict[str, str | int | float | bool] = {"cranfield_id": document.number}
    if document.bibliography:
        attributes["bibliography"] = document.bibliography
    return Entity(
        id=entity_id(document.number),
        type=EntityType.EPISODE,
        title=document.title or UNTITLED,
        artists=document.authors,
        show=SHOW,
        language="en",
        description=document.abstract or None,
        attributes=attributes,
    )


def convert(out_dir: Path, source_dir: Path = SOURCE_DIR) -> ConversionReport:
    """Write ``catalog.jsonl``, ``queries.tsv`` and ``qrels.txt`` for Cranfield into
    ``out_dir``; a judgment naming an unknown query or document is an error."""
    documents = read_documents(source_dir / DOCUMENTS_FILE)
    queries = read_queries(source_dir / QUERIES_FILE)
    qrels_path = source_dir / QRELS_FILE
    judgments = read_qrels(qrels_path)
    known_documents = {document.number for document in documents}
    for judgment in judgments:
        if not 1 <= judgment.query <= len(queries):
            raise CranfieldFormatError(
                qrels_path,
                judgment.line,
                f"query number {judgment.query} is not an ordinal 1..{len(queries)}",
            )
        if judgment.document not in known_documents:
            raise CranfieldFormatError(
                qrels_path, judgment.line, f"unknown document {judgment.document}"
            )

    out_dir.mkdir(parents=True, exist_ok=True)
    report = ConversionReport(out_dir=out_dir)
    with report.catalog_path.open("w", encoding="utf-8") as handle:
        for document in documents:
            entity = document_entity(document)
            handle.write(entity.model_dump_json(exclude_defaults=True) + "\n")
            report.documents += 1
    with report.queries_path.open("w", encoding="utf-8") as handle:
        for query in queries:
            handle.write(f"{query.ordinal}\t{query.text}\n")
            report.queries += 1
    grades: Counter[int] = Counter()
    with report.qrels_path.open("w", encoding="utf-8") as handle:
        for judgment in judgments:
            if judgment.code == NON_RELEVANT_CODE:
                report.dropped += 1
                continue
            value = grade(judgment.code)
            handle.write(f"{judgment.query} 0 {entity_id(judgment.document)} {value}\n")
            grades[value] += 1
            report.judgments += 1
    report.grades = dict(sorted(grades.items()))
    return report
