"""The ``ltrr`` command line: generate and index catalogs, serve the API."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    Progress,
    TaskID,
)

from catalog.ingest import CatalogError
from service.progress import progress_bar

app = typer.Typer(help="ltrr: learning to rank and retrieve for music and podcast catalogs.")
catalog_app = typer.Typer(help="Generate and manage catalogs.")
app.add_typer(catalog_app, name="catalog")
console = Console(stderr=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Directory holding store and indexes.")]


def _progress() -> Progress:
    return progress_bar(console)


def _count_lines(path: Path) -> int | None:
    """Rows in an uncompressed file (a progress total); None for compressed files."""
    if path.suffix == ".gz":
        return None
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


@catalog_app.command("generate")
def catalog_generate(
    size: Annotated[int, typer.Option(min=1, help="Number of entities.")],
    out: Annotated[Path, typer.Option(help="Output JSONL path.")],
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same catalog.")] = 0,
) -> None:
    """Write a deterministic synthetic catalog of SIZE entities as JSONL."""
    from catalog.generate import write_catalog_jsonl

    out.parent.mkdir(parents=True, exist_ok=True)
    with _progress() as progress:
        task = progress.add_task(f"generating {out.name}", total=size)
        written = write_catalog_jsonl(
            out, size, seed, on_progress=lambda n: progress.advance(task, n)
        )
    console.print(f"wrote {written} entities to {out}")


@app.command("index")
def index(
    catalog: Annotated[
        list[Path], typer.Option("--catalog", help="Catalog file (JSONL/CSV); repeatable.")
    ],
    data_dir: DataDir,
    strict: Annotated[bool, typer.Option(help="Fail at the first bad row.")] = False,
) -> None:
    """Import catalog files into the data dir and update every configured index."""
    from service.indexing import index_catalog
    from service.settings import Settings

    settings = Settings(data_dir=data_dir)
    missing = [str(p) for p in catalog if not p.is_file()]
    if missing:
        raise typer.BadParameter(f"catalog file(s) not found: {', '.join(missing)}")
    with _progress() as progress:
        for path in catalog:
            task = progress.add_task(f"indexing {path.name}", total=_count_lines(path))

            def advance(n: int, task_id: TaskID = task) -> None:
                progress.advance(task_id, n)

            try:
                report = index_catalog(
                    path,
                    data_dir,
                    settings,
                    strict=strict,
                    on_rows=advance,
                )
            except CatalogError as error:
                console.print(f"[red]error:[/red] {error}")
                raise typer.Exit(code=2) from error
            progress.update(task, total=report.rows, completed=report.rows)
            for row_error in report.errors[:50]:
                console.print(f"[yellow]skipped[/yellow] {row_error}")
            if report.error_count:
                console.print(
                    f"[yellow]{path}: skipped {report.error_count} bad row(s)"
                    f"{' (first 50 shown)' if report.error_count > 50 else ''}[/yellow]"
                )
            console.print(
                f"{path}: {report.rows} rows, {report.upserted} upserted, "
                f"{report.deleted} deleted, {report.error_count} skipped "
                f"in {report.seconds:.1f} s"
            )


@catalog_app.command("delete")
def catalog_delete(
    entity_ids: Annotated[list[str], typer.Argument(help="Entity ids to delete.")],
    data_dir: DataDir,
) -> None:
    """Delete entities from the store and every index."""
    from service.indexing import delete_entities
    from service.settings import Settings

    existed = delete_entities(data_dir, Settings(data_dir=data_dir), entity_ids)
    console.print(f"deleted {existed} of {len(entity_ids)} id(s)")


@app.command("serve")
def serve(
    data_dir: DataDir,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API over an indexed data dir (never rebuilds indexes)."""
    import uvicorn

    if not (data_dir / "catalog.sqlite").exists():
        console.print(
            f"[red]error:[/red] {data_dir} holds no indexed catalog; run "
            f"`ltrr index --catalog CATALOG --data-dir {data_dir}` first"
        )
        raise typer.Exit(code=2)
    os.environ["LTRR_DATA_DIR"] = str(data_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command("worker")
def worker(
    data_dir: DataDir,
    drain: Annotated[
        bool, typer.Option(help="Apply what is queued, then exit (instead of running forever).")
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve Prometheus metrics on this port."),
    ] = None,
) -> None:
    """Apply queued feedback to learning (memory, training log, bandit rewards).

    Run it beside `ltrr serve` started with LTRR_FEEDBACK__IN_PROCESS_WORKER=false.
    Run one: it is also the retrieval bandit's learner, whose reward ledger lives
    in its data dir.
    """
    import signal

    from service.app_state import build_feedback_worker
    from service.metrics import Metrics
    from service.settings import Settings

    os.environ["LTRR_DATA_DIR"] = str(data_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings(data_dir=data_dir)
    metrics = Metrics()
    feedback_worker = build_feedback_worker(settings, metrics)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=metrics.registry)
    if drain:
        applied = feedback_worker.drain(timeout_s=3600)
        console.print(f"applied {applied} event(s)")
        return

    def _stop(signum: int, frame: object) -> None:
        feedback_worker.stop(timeout_s=0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    console.print(f"worker {feedback_worker.consumer} applying feedback for {data_dir}")
    feedback_worker.run_forever()


# Offline evaluation: `ltrr eval` and `ltrr dataset ...` (evaluation/cli.py).
from evaluation.cli import dataset_app, eval_command  # noqa: E402

app.command("eval")(eval_command)
app.add_typer(dataset_app, name="dataset")

from evaluation.simulate_cli import simulate_command  # noqa: E402
from evaluation.traffic_cli import simulate_traffic_command  # noqa: E402

app.command("simulate")(simulate_command)
app.command("simulate-traffic")(simulate_traffic_command)

from evaluation.ope_cli import ope_command  # noqa: E402

app.command("ope")(ope_command)

from evaluation.ranker_experiment_cli import simulate_ranker_command  # noqa: E402
from ranker.cli import ranker_app  # noqa: E402
from ranker.coldstart_cli import coldstart_command  # noqa: E402

ranker_app.command("coldstart")(coldstart_command)

app.command("simulate-ranker")(simulate_ranker_command)

app.add_typer(ranker_app, name="ranker")


if __name__ == "__main__":
    app()
