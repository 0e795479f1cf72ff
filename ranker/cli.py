"""``ltrr ranker``: list the registered ranker models, inspect one, activate one, deactivate
(back to RRF), roll back.

The registry is the one the service reads: Redis when ``--redis-url`` (or ``LTRR_REDIS_URL`` /
``REDIS_URL``) is set, else files under ``DATA_DIR/ranker``. Activation and rollback check the
model's feature spec against the strategies the service computes features for (its
configured ``pipeline.strategies``, or ``--strategies``), so a model that cannot score the
service's columns is never made active. Returning to RRF needs no check.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import redis
import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ranker.feature_spec import FeatureSpec, FeatureSpecMismatch
from ranker.registry import (
    ActiveState,
    ModelRegistry,
    ModelVersion,
    RegistryError,
    open_registry,
)

ranker_app = typer.Typer(help="Manage the ranker's model versions and the active model.")

RRF = "RRF (no model)"
"""How the commands name the state without an active model."""

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="LTRR_DATA_DIR",
        help="Data dir; without Redis the registry lives in DATA_DIR/ranker.",
    ),
]
RedisUrl = Annotated[
    str | None,
    typer.Option(
        "--redis-url",
        envvar=["LTRR_REDIS_URL", "REDIS_URL"],
        help="Use the registry in this Redis (shared by every replica) instead of files.",
    ),
]
Strategies = Annotated[
    str | None,
    typer.Option(
        "--strategies",
        help="Comma-separated strategies whose feature spec the model must match "
        "(default: the service's configured pipeline strategies).",
    ),
]
DEFAULT_DATA_DIR = Path("data/demo")
PIPED_WIDTH = 160
"""Columns of the tables when standard output is not a terminal."""


def _fail(message: str) -> NoReturn:
    """Report the problem on one line and exit with code 2 (no traceback)."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)


def _output() -> Console:
    """Standard output; wide when it is not a terminal, so piped rows stay on one line."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


@contextmanager
def _registry(
    data_dir: Path, redis_url: str | None, spec: FeatureSpec | None = None
) -> Iterator[ModelRegistry]:
    """The registry, closed afterwards; its errors end the command with one line and code 2."""
    try:
        registry = open_registry(data_dir, redis_url)
    except ValueError as error:  # e.g. a Redis URL of an unknown scheme
        _fail(f"cannot open the model registry: {error}")
    try:
        with registry:
            yield registry
    except FeatureSpecMismatch as error:
        if spec is None:
            _fail(str(error))
        strategies = ", ".join(spec.strategies)
        _fail(
            f"{error} (checked against the features of strategies {strategies}; see --strategies)"
        )
    except RegistryError as error:
        _fail(str(error))
    except redis.RedisError as error:
        _fail(f"cannot use the model registry in Redis: {error}")


def _expected_spec(strategies: str | None, data_dir: Path) -> FeatureSpec:
    """The feature spec the service computes: ``--strategies`` or its configured ones."""
    if strategies is not None:
        names = list(dict.fromkeys(s.strip() for s in strategies.split(",") if s.strip()))
    else:
        from service.settings import Settings

        try:
            names = Settings(data_dir=data_dir).pipeline.strategies
        except ValidationError as error:
            _fail(f"cannot read the service settings: {error.errors()[0]['msg']}")
    try:
        return FeatureSpec.for_strategies(names)
    except ValueError as error:
        _fail(str(error))


def _when(unix: float | None) -> str:
    if unix is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(unix))


def _trained_on(record: ModelVersion) -> str:
    span = record.trained_on
    return f"{span.source}, {span.searches:,} searches"


def _served(version: str | None) -> str:
    return RRF if version is None else version


def _pointer(state: ActiveState) -> str:
    """The line under the table: what is active and where rollback goes."""
    target = _served(state.rollback_to[-1]) if state.rollback_to else "nothing"
    if state.version is None:
        line = "no version is active; RRF serves results"
        if state.serial == 0:
            return line
        return f"{line} (change {state.serial}); rollback goes to {target}"
    return f"active: {state.version} (activation {state.serial}); rollback goes to {target}"


def _metrics(record: ModelVersion) -> str:
    return " ".join(f"{name} {value:.4f}" for name, value in sorted(record.metrics.items()))


@ranker_app.command("list")
def list_versions(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
) -> None:
    """List the registered model versions, newest first; * marks the active one."""
    with _registry(data_dir, redis_url) as registry:
        records = registry.list()
        state = registry.state()
    out = _output()
    if not records:
        out.print("no model versions are registered")
        return
    table = Table(title=f"{len(records)} model version(s), newest first", box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True)
    table.add_column("version (UTC)", no_wrap=True)
    table.add_column("feature spec", no_wrap=True)
    table.add_column("trained on")
    table.add_column("metrics")
    table.add_column("notes")
    for record in records:
        table.add_row(
            "*" if record.version == state.version else "",
            record.version,
            record.feature_spec_version,
            _trained_on(record),
            _metrics(record),
            escape(record.notes),
        )
    out.print(table)
    out.print(_pointer(state))


@ranker_app.command("show")
def show(
    version: Annotated[str, typer.Argument(help="The version to show.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
) -> None:
    """Show one model version: what it was trained on, its metrics and parameters."""
    with _registry(data_dir, redis_url) as registry:
        record = registry.get(version)
        active = registry.active()
    span = record.trained_on
    table = Table(title=f"model version {record.version}", show_header=False, box=box.SIMPLE)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    table.add_row("active", "yes" if record.version == active else "no")
    table.add_row("created", _when(record.created_at))
    table.add_row("feature spec", record.feature_spec_version)
    table.add_row("trained on", f"{_trained_on(record)}, {span.rows:,} rows")
    table.add_row("searches from", _when(span.first_search_at))
    table.add_row("searches to", _when(span.last_search_at))
    for name, value in sorted(record.metrics.items()):
        table.add_row(name, f"{value:.4f}")
    table.add_row("params", escape(json.dumps(record.params, sort_keys=True)))
    table.add_row("notes", escape(record.notes) or "-")
    _output().print(table)


@ranker_app.command("activate")
def activate(
    version: Annotated[str, typer.Argument(help="The version to serve.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
    strategies: Strategies = None,
) -> None:
    """Make VERSION the model the service ranks with (every replica picks it up)."""
    spec = _expected_spec(strategies, data_dir)
    with _registry(data_dir, redis_url, spec) as registry:
        activation = registry.activate(version, expected_spec=spec)
    if activation is None:
        _output().print(f"{version} is already active")
    else:
        was = activation.previous or "none"
        _output().print(f"activated {activation.version} (was {was})")


@ranker_app.command("rollback")
def rollback(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
    strategies: Strategies = None,
) -> None:
    """Return to what was served before the last change: a version, or RRF (no model)."""
    spec = _expected_spec(strategies, data_dir)
    with _registry(data_dir, redis_url, spec) as registry:
        version = registry.rollback(expected_spec=spec)
        previous = registry.history()[0].previous
    if version is None:
        _output().print(f"rolled back to {RRF}")
    else:
        _output().print(f"rolled back to {version} (was {previous or 'RRF'})")


@ranker_app.command("deactivate")
def deactivate(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
) -> None:
    """Serve no model: RRF orders results (every replica follows; rollback undoes it)."""
    with _registry(data_dir, redis_url) as registry:
        change = registry.deactivate()
    if change is None:
        _output().print("no model is active")
    else:
        _output().print(f"RRF now orders results (was {change.previous})")


@ranker_app.command("train")
def train(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    redis_url: RedisUrl = None,
    strategies: Strategies = None,
    debias: Annotated[
        str,
        typer.Option(help="Position-bias correction: none, lightgbm or ipw (needs swaps)."),
    ] = "lightgbm",
    valid_fraction: Annotated[
        float, typer.Option(min=0.01, max=0.9, help="Latest share of searches held out.")
    ] = 0.2,
    rounds: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Boosting rounds (default: with swaps in the log, a debiased model keeps the "
            "best of up to 300 by counterfactual DCG of the held-out searches; else 150).",
        ),
    ] = None,
    activate_model: Annotated[
        bool, typer.Option("--activate", help="Serve the new model right away.")
    ] = False,
    notes: Annotated[str, typer.Option(help="Free text kept with the version.")] = "",
) -> None:
    """Train a LambdaMART ranker from the learning log and register it (see docs/ranker.md)."""
    from ranker.dataset import DatasetError
    from ranker.fit import FEEDBACK_CONFIG, Debias, fit_from_logs
    from service.app_state import LEARNING_LOG_FILE
    from service.settings import Settings

    try:
        mode = Debias(debias)
    except ValueError:
        _fail(f"--debias must be one of {[d.value for d in Debias]}, but {debias!r} is given")
    spec = _expected_spec(strategies, data_dir)
    swaps = Settings(data_dir=data_dir).ranker.swaps
    try:
        result = fit_from_logs(
            data_dir / LEARNING_LOG_FILE,
            spec,
            debias=mode,
            config=None
            if rounds is None
            else FEEDBACK_CONFIG.model_copy(update={"n_estimators": rounds}),
            swaps=swaps,
            valid_fraction=valid_fraction,
        )
    except (DatasetError, FileNotFoundError) as error:
        _fail(str(error))
    with _registry(data_dir, redis_url, spec) as registry:
        record = registry.register(result.model, spec, trained_on=result.span, notes=notes)
        if activate_model:
            registry.activate(record.version, expected_spec=spec)
    out = _output()
    out.print(
        f"registered {record.version}: {result.span.searches:,} searches, "
        f"{result.span.rows:,} rows, {result.model.best_iteration} trees, {_metrics(record)}"
    )
    if result.propensities is not None:
        curve = " ".join(f"{p:.2f}" for p in result.propensities.relative)
        out.print(f"estimated examination propensities (p_k / p_1): {curve}")
    if activate_model:
        out.print(f"activated {record.version}")
