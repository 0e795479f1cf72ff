"""``ltrr eval`` and ``ltrr dataset``: offline evaluation on judged query sets.

``ltrr eval`` indexes a catalog (or reuses a built data dir), runs the requested strategies
and their fused union on every judged query, prints a table and optionally writes the report
as JSON. ``ltrr dataset cranfield`` converts the Cranfield collection into a catalog and a
judged query set that ``ltrr eval`` reads.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from evaluation.cranfield import SOURCE_DIR
from evaluation.judged import UNION, EvaluationReport
from service.progress import progress_bar

messages = Console(stderr=True, soft_wrap=True)
output = Console()

dataset_app = typer.Typer(help="Convert public judged collections into ltrr's formats.")


def _fail(message: str) -> NoReturn:
    """Report a usage or data problem and exit with code 2 (no traceback)."""
    messages.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code=2)


def parse_strategies(text: str) -> list[str]:
    """``"bm25, dense"`` → ``["bm25", "dense"]`` (order kept, duplicates dropped)."""
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise typer.BadParameter("name at least one strategy, e.g. --strategies bm25")
    return names


def _progress() -> Progress:
    return progress_bar(messages)


def _table(report: EvaluationReport) -> Table:
    table = Table(
        title=f"{report.queries} judged queries, depth {report.depth}, union by RRF "
        f"(k={report.rrf_k})"
    )
    table.add_column("strategy")
    for heading in ("R@10", "R@100", "nDCG@10", "MRR", "cands", "empty", "ms/q"):
        table.add_column(heading, justify="right")
    for result in report.results:
        metrics = result.metrics
        table.add_row(
            f"[bold]{result.name}[/bold]" if result.name == UNION else result.name,
            f"{metrics.recall_at_10:.4f}",
            f"{metrics.recall_at_100:.4f}",
            f"{metrics.ndcg_at_10:.4f}",
            f"{metrics.mrr:.4f}",
            f"{result.mean_candidates:.1f}",
            str(result.empty_queries),
            "" if result.mean_latency_ms is None else f"{result.mean_latency_ms:.1f}",
        )
    return table


def eval_command(
    catalog: Annotated[
        Path,
        typer.Option("--catalog", exists=True, dir_okay=False, help="Catalog file (JSONL/CSV)."),
    ],
    queries: Annotated[
        Path,
        typer.Option("--queries", exists=True, dir_okay=False, help="Queries: qid<TAB>text."),
    ],
    qrels: Annotated[
        Path,
        typer.Option("--qrels", exists=True, dir_okay=False, help="TREC qrels: qid 0 id grade."),
    ],
    strategies: Annotated[
        str, typer.Option("--strategies", help="Comma-separated strategy names.")
    ] = "bm25",
    depth: Annotated[
        int, typer.Option("--depth", min=1, help="Candidates drawn from each strategy.")
    ] = 100,
    json_out: Annotated[
        Path | None, typer.Option("--json", dir_okay=False, help="Write the report as JSON.")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            file_okay=False,
            help="Data dir to index into; an already built one is used as is. "
            "Default: a temporary dir.",
        ),
    ] = None,
    rrf_k: Annotated[
        int, typer.Option("--rrf-k", min=1, help="Reciprocal-rank-fusion constant of the union.")
    ] = 60,
) -> None:
    """Evaluate retrieval strategies and their union on a judged query set."""
    from catalog.ingest import CatalogError
    from evaluation.judged import (
        EvaluationError,
        JudgedSetError,
        evaluate_strategies,
        load_judged_set,
    )
    from service.indexing import index_catalog
    from service.settings import PipelineConfig, Settings
    from service.strategies import STORE_FILE, STRATEGIES, MissingIndexError, build_retrievers

    names = parse_strategies(strategies)
    if UNION in names:
        _fail(f"{UNION!r} names the fused union of the strategies; do not list it")
    # Checked before indexing, which can take long; build_retrievers checks it again.
    unknown = sorted(set(names) - set(STRATEGIES))
    if unknown:
        _fail(f"unknown strategies {unknown}; valid strategies: {sorted(STRATEGIES)}")
    try:
        judged = load_judged_set(queries, qrels)
    except JudgedSetError as error:
        _fail(str(error))
    relevant = judged.relevant
    if not relevant:
        _fail(f"no query in {qrels} has a relevant judgment (a grade above 0)")

    with ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ltrr-eval-")))
        settings = Settings(
            data_dir=data_dir,
            pipeline=PipelineConfig(
                strategies=names,
                default_plan=dict.fromkeys(names, depth),
                rrf_k=rrf_k,
            ),
        )
        if (data_dir / STORE_FILE).exists():
            messages.print(f"using the built data dir {data_dir} as is (not re-indexing)")
        else:
            with _progress() as progress:
                rows = progress.add_task(f"indexing {catalog.name}", total=None)
                try:
                    index = index_catalog(
                        catalog,
                        data_dir,
                        settings,
                        strict=True,
                        on_rows=lambda n: progress.advance(rows, n),
                    )
                except CatalogError as error:
                    _fail(str(error))
            messages.print(f"indexed {index.upserted} entities in {index.seconds:.1f} s")
        try:
            retrievers = build_retrievers(settings)
        except (ValueError, MissingIndexError) as error:
            _fail(str(error))
        for retriever in retrievers.values():
            close = getattr(retriever, "close", None)
            if callable(close):
                stack.callback(close)

        with _progress() as progress:
            task = progress.add_task("searching", total=len(relevant))
            try:
                report = evaluate_strategies(
                    judged,
                    retrievers,
                    depth,
                    rrf_k=rrf_k,
                    on_query=lambda: progress.advance(task),
                )
            except EvaluationError as error:
                messages.print(f"[red]error:[/red] {error}", highlight=False)
                raise typer.Exit(code=1) from error
    report = report.model_copy(update={"catalog": str(catalog)})
    if skipped := len(report.skipped_queries):
        messages.print(
            f"skipped {skipped} {'query' if skipped == 1 else 'queries'} "
            "without a relevant judgment"
        )
    output.print(_table(report))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
        messages.print(f"wrote {json_out}")


@dataset_app.command("cranfield")
def cranfield_command(
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Output directory.")],
    source: Annotated[
        Path,
        typer.Option("--source", exists=True, file_okay=False, help="Cranfield source files."),
    ] = SOURCE_DIR,
) -> None:
    """Write Cranfield as catalog.jsonl, queries.tsv and qrels.txt for `ltrr eval`."""
    from evaluation.cranfield import CranfieldFormatError, convert

    try:
        report = convert(out, source)
    except (CranfieldFormatError, FileNotFoundError) as error:
        _fail(str(error))
    messages.print(
        f"wrote {report.documents} entities to {report.catalog_path}, "
        f"{report.queries} queries to {report.queries_path} and "
        f"{report.judgments} judgments to {report.qrels_path} "
        f"(dropped {report.dropped} non-relevant lines; grades {report.grades})"
    )
    messages.print(
        f"evaluate with: ltrr eval --catalog {report.catalog_path} "
        f"--queries {report.queries_path} --qrels {report.qrels_path} --strategies bm25"
    )
