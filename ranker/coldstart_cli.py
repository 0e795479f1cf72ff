"""``ltrr ranker coldstart``: train a ranker on synthetic queries and register it.

For a fresh install, before any listener has clicked (see :mod:`ranker.coldstart`). The
searches run in this process over the data dir's indexes, with the service's settings
(``LTRR_*``) except that the bandit is off (the default plan is what is searched), no
feedback worker starts, and each strategy may take up to :data:`OFFLINE_TIMEOUT_MS`: a batch
has no latency budget, and a strategy that overran the serving timeout on a busy machine
would silently take its candidates out of the training unions. The model is registered
with source ``synthetic`` in the registry the service reads, and served right away with
``--activate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from ranker.cli import (
    DEFAULT_DATA_DIR,
    DataDir,
    RedisUrl,
    _expected_spec,
    _fail,
    _output,
    _registry,
)
from ranker.coldstart import COLDSTART_FEATURES, ColdStartStats

OFFLINE_TIMEOUT_MS = 60_000.0
"""Per-strategy timeout of the synthetic searches (the serving one is usually 500 ms)."""


def _summary(stats: ColdStartStats) -> str:
    return (
        f"{stats.queries:,} synthetic queries in {stats.seconds:.1f} s: {stats.groups:,} kept, "
        f"{stats.missed:,} dropped (retrieval missed their entity), {stats.rows:,} rows"
    )


def coldstart_command(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
    queries: Annotated[
        int, typer.Option("--queries", min=1, help="Synthetic queries to search and train on.")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the query sampling and of LightGBM.")] = 0,
    activate: Annotated[
        bool, typer.Option("--activate", help="Serve the new model right away.")
    ] = False,
    holdout: Annotated[
        Path | None,
        typer.Option(
            "--holdout",
            exists=True,
            dir_okay=False,
            help="Queries file (qid<TAB>text, e.g. a judged set) kept out of training.",
        ),
    ] = None,
    notes: Annotated[str, typer.Option(help="Free text kept with the version.")] = "",
) -> None:
    """Train a cold-start ranker on synthetic queries and register it (source synthetic)."""
    from bandit.config import BanditConfig
    from evaluation.judged_set import JudgedSetError, load_queries
    from ranker.coldstart import train_coldstart
    from ranker.dataset import DatasetError
    from service.app_state import build_services
    from service.metrics import Metrics
    from service.progress import progress_bar
    from service.settings import FeedbackConfig, Settings

    exclude: list[str] = []
    if holdout is not None:
        try:
            exclude = [query.text for query in load_queries(holdout)]
        except JudgedSetError as error:
            _fail(str(error))
    spec = _expected_spec(None, data_dir)
    try:
        settings = Settings(
            data_dir=data_dir,
            redis_url=redis_url,
            bandit=BanditConfig(enabled=False),
            feedback=FeedbackConfig(in_process_worker=False),
        )
    except ValidationError as error:
        _fail(f"cannot read the service settings: {error.errors()[0]['msg']}")
    timeout = max(settings.pipeline.strategy_timeout_ms, OFFLINE_TIMEOUT_MS)
    settings = settings.model_copy(
        update={
            "pipeline": settings.pipeline.model_copy(update={"strategy_timeout_ms": timeout}),
            "ranker": settings.ranker.model_copy(update={"log_features": True}),
        }
    )
    try:
        services = build_services(settings, Metrics())
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error))
    try:
        with progress_bar(Console(stderr=True)) as progress:
            task = progress.add_task("searching synthetic queries", total=queries)
            model, span, stats = train_coldstart(
                services,
                queries,
                seed,
                exclude=exclude,
                progress=lambda: progress.advance(task),
            )
    except DatasetError as error:
        _fail(str(error))
    finally:
        services.close()

    described = (
        f"cold start: {stats.queries} synthetic queries (seed {seed}); "
        f"features {', '.join(COLDSTART_FEATURES)}, monotone"
    )
    with _registry(data_dir, redis_url, spec) as registry:
        record = registry.register(
            model, spec, trained_on=span, notes=f"{described}. {notes}".strip()
        )
        if activate:
            registry.activate(record.version, expected_spec=spec)
    out = _output()
    out.print(f"registered {record.version}: {_summary(stats)}")
    metrics = " ".join(f"{name} {value:.4f}" for name, value in sorted(record.metrics.items()))
    out.print(f"validation on held-out synthetic queries: {metrics}")
    if stats.strategy_failures:
        out.print(f"[yellow]{stats.strategy_failures} strategy calls failed or timed out[/yellow]")
    if activate:
        out.print(f"activated {record.version}")
