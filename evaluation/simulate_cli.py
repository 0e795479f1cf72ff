"""``ltrr simulate``: simulated listeners against a fresh in-process service, per policy.

The synthetic catalog of ``(size, seed)`` is generated and indexed once into a
cached data dir; every policy then runs on its own copy of it, so no policy
inherits what another one taught the service (feedback, memory, bandit state).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    Progress,
    TaskID,
)
from rich.table import Table

from evaluation.policy_setup import (
    check_variant,
    install_ranker,
    install_snapshot,
    load_ranker,
    prepare_policy_dir,
    settings_for,
)
from service.progress import progress_bar

if TYPE_CHECKING:
    from evaluation.simulate import PolicyReport, SimulationReport
    from simulator.intents import IntentType
    from simulator.session import SessionRecord

console = Console(stderr=True)

MARKER = "simulation-catalog.json"
"""Written into a prepared data dir: what it was built from and for which strategies."""


def _progress() -> Progress:
    return progress_bar(console)


def prepare_data_dir(root: Path, size: int, seed: int) -> tuple[Path, Path]:
    """The indexed data dir and catalog file of the synthetic catalog ``(size, seed)``.

    Reused when it was built for the same strategies as the current settings;
    rebuilt otherwise (a strategy added since needs its index).
    """
    from catalog.generate import write_catalog_jsonl
    from service.indexing import index_catalog
    from service.settings import Settings

    name = f"catalog-{size}-seed{seed}"
    catalog = root / f"{name}.jsonl"
    data_dir = root / name
    strategies = sorted(Settings(data_dir=data_dir).pipeline.strategies)
    expected = {"size": size, "seed": seed, "strategies": strategies}
    marker = data_dir / MARKER
    built = marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == expected
    if built and catalog.is_file():
        return data_dir, catalog
    root.mkdir(parents=True, exist_ok=True)
    if not catalog.is_file():
        with _progress() as progress:
            task = progress.add_task(f"generating {catalog.name}", total=size)
            write_catalog_jsonl(
                catalog.with_suffix(".partial"),
                size,
                seed,
                on_progress=lambda n: progress.advance(task, n),
            )
        catalog.with_suffix(".partial").replace(catalog)
    shutil.rmtree(data_dir, ignore_errors=True)
    with _progress() as progress:
        task = progress.add_task(f"indexing {catalog.name}", total=size)
        index_catalog(
            catalog,
            data_dir,
            Settings(data_dir=data_dir),
            strict=True,
            on_rows=lambda n: progress.advance(task, n),
        )
    marker.write_text(json.dumps(expected), encoding="utf-8")
    return data_dir, catalog


def parse_type_mix(text: str) -> dict[IntentType, float]:
    """``attribute=0.4,descriptive=0.4,...`` → an intent-type mix (weights, normalized later)."""
    from simulator.intents import IntentType

    mix: dict[IntentType, float] = {}
    for part in text.split(","):
        name, sep, weight = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not TYPE=WEIGHT")
        try:
            kind = IntentType(name.strip())
        except ValueError:
            known = ", ".join(t.value for t in IntentType)
            raise ValueError(f"unknown intent type {name.strip()!r}; known: {known}") from None
        try:
            value = float(weight)
        except ValueError:
            raise ValueError(f"weight of {kind.value} is not a number: {weight!r}") from None
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"weight of {kind.value} must be a finite number >= 0: {weight!r}")
        mix[kind] = value
    if sum(mix.values()) <= 0:
        raise ValueError("at least one intent type needs a positive weight")
    return mix


def _write_json(result: SimulationReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(result.model_dump_json(indent=2), encoding="utf-8")
    partial.replace(path)


def _summary_table(report: SimulationReport) -> Table:
    table = Table(title=f"{report.sessions} sessions, seed {report.seed}")
    for column in ("policy", "success@10", "nDCG@10", "reward", "union recall", "cands", "p99 ms"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for name, policy in report.policies.items():
        o = policy.overall
        table.add_row(
            name,
            f"{o.success_at_10:.3f}",
            f"{o.ndcg_at_10:.3f}",
            f"{o.reward_rate:.3f}",
            "n/a" if o.union_recall is None else f"{o.union_recall:.3f}",
            f"{o.mean_candidates_drawn:.1f}",
            f"{o.p99_latency_ms:.1f}",
        )
    return table


def simulate_command(
    catalog_size: Annotated[
        int, typer.Option("--catalog-size", min=1, help="Entities in the synthetic catalog.")
    ] = 20_000,
    sessions: Annotated[int, typer.Option(min=1, help="Sessions per policy.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed of catalog and listeners.")] = 0,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help="Policy to run (repeatable, compared on the same sessions): static-bm25, "
            "static-hybrid, static-all, uniform-random, oracle, service. A suffix "
            "+memory-frozen (memory does not learn) or +memory-cold (memory starts without "
            "predicted pairs) runs it against that memory ablation, e.g. static-all+memory-cold.",
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full results as JSON here.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write report.md and PNG plots here.")
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Where generated catalogs and their indexes are kept, one per size and seed.",
        ),
    ] = Path("data/sim"),
    window: Annotated[
        int, typer.Option(min=1, help="Sessions per point of the learning curves.")
    ] = 1_000,
    session_seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of listeners and sessions, when they should differ from the catalog's "
            "(fresh sessions over the same catalog, e.g. to check an off-policy estimate)."
        ),
    ] = None,
    drift_at: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="From this session on, listeners seek a new wave of head intents (the same "
            "change for every policy): how fast does each policy re-adapt?",
        ),
    ] = None,
    drift_mix: Annotated[
        str | None,
        typer.Option(
            help="With --drift-at: the intent-type mix after the change, e.g. "
            "'attribute=0.4,descriptive=0.4,spearfish=0.1,related=0.1' (default: unchanged).",
        ),
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Serve this policy snapshot to the bandit policies from the start "
            "(with bandit-frozen: measure it on-policy, as it is).",
        ),
    ] = None,
    keep_logs: Annotated[
        Path | None,
        typer.Option(
            help="Keep each bandit policy's reward ledger and snapshots here (DIR/POLICY/), "
            "for `ltrr ope`."
        ),
    ] = None,
    ranker_model: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            file_okay=False,
            help="Rank every policy's results with this registered model (its directory, "
            "DATA_DIR/ranker/VERSION, e.g. kept by `ltrr simulate-ranker --keep-data`) "
            "instead of RRF. The model does not change during the run.",
        ),
    ] = None,
) -> None:
    """Run simulated listeners through the public API under each policy and measure them."""
    from fastapi.testclient import TestClient

    from evaluation.policies import PolicyEnvironment, PolicyError, make_policy
    from evaluation.report import write_report
    from evaluation.simulate import SimulationReport, examination_curve, run_policy
    from service.app import create_app
    from service.settings import Settings
    from simulator.config import DriftConfig, SimulatorConfig
    from simulator.population import Population
    from simulator.sampling import IntentSampler
    from simulator.world import CatalogWorld

    try:
        mix = None if drift_mix is None else parse_type_mix(drift_mix)
    except ValueError as error:
        console.print(f"[red]error:[/red] --drift-mix: {error}")
        raise typer.Exit(code=2) from error
    if mix is not None and drift_at is None:
        console.print("[red]error:[/red] --drift-mix needs --drift-at (when the mix changes)")
        raise typer.Exit(code=2)
    names = list(dict.fromkeys(policy or ["static-bm25"]))
    try:
        strategies = Settings(data_dir=data_dir).pipeline.strategies
        model = None if ranker_model is None else load_ranker(ranker_model, strategies)
    except ValueError as error:
        console.print(f"[red]error:[/red] --ranker-model: {error}")
        raise typer.Exit(code=2) from error
    pristine, catalog = prepare_data_dir(data_dir, catalog_size, seed)
    base = Settings(data_dir=pristine)
    env = PolicyEnvironment(
        strategies=tuple(base.pipeline.strategies), budget=base.pipeline.candidate_budget
    )
    try:
        for name in names:
            make_policy(name, env)
            check_variant(name, base)
    except PolicyError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=2) from error

    config = SimulatorConfig(
        drift=None if drift_at is None else DriftConfig(at_session=drift_at, type_mix=mix)
    )
    world = CatalogWorld.from_file(catalog)
    listeners = seed if session_seed is None else session_seed
    population = Population.generate(world, config.population, listeners)
    sampler = IntentSampler(world, config.intents, listeners)
    reports: dict[str, PolicyReport] = {}

    def result() -> SimulationReport:
        return SimulationReport(
            catalog={
                "size": catalog_size,
                "seed": seed,
                "entities": len(world),
                "session_seed": listeners,
            },
            ranker="rrf" if model is None else model.record.version,
            sessions=sessions,
            seed=seed,
            window=window,
            strategies=list(env.strategies),
            budget=env.budget,
            examination_curve=examination_curve(config),
            simulator=config,
            policies=reports,
        )

    with _progress() as progress:
        for name in names:
            task = progress.add_task(name, total=sessions)

            def advance(_record: SessionRecord, task: TaskID = task) -> None:
                progress.advance(task)

            with tempfile.TemporaryDirectory(prefix="ltrr-sim-", dir=data_dir) as scratch:
                work = Path(scratch) / "data"
                shutil.copytree(pristine, work)
                settings = settings_for(name, work, listeners)
                prepare_policy_dir(name, settings)
                if snapshot is not None and settings.bandit.enabled:
                    install_snapshot(snapshot, work)
                if model is not None:
                    install_ranker(model, settings)
                with TestClient(create_app(settings)) as client:
                    run = run_policy(
                        client,
                        world,
                        name,
                        sessions=sessions,
                        seed=listeners,
                        config=config,
                        budget=settings.pipeline.candidate_budget,
                        window=window,
                        population=population,
                        sampler=sampler,
                        on_session=advance,
                    )
                kept = work / "bandit"
                if keep_logs is not None and kept.is_dir():
                    shutil.copytree(kept, keep_logs / name, dirs_exist_ok=True)
            reports[name] = run.report
            if json_out is not None:
                # Written after every policy, so a long run that is interrupted
                # keeps the policies it finished.
                _write_json(result(), json_out)
    final = result()
    console.print(_summary_table(final))
    if json_out is not None:
        _write_json(final, json_out)
        console.print(f"wrote {json_out}")
    else:
        typer.echo(final.model_dump_json(indent=2))
    if report is not None:
        files = write_report(final, report)
        console.print(f"wrote {', '.join(str(f) for f in files)}")
