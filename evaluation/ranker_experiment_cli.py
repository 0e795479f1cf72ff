"""``ltrr simulate-ranker``: train rankers from simulated feedback and compare them with RRF."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from evaluation.simulate_cli import console, prepare_data_dir
from service.progress import progress_bar

if TYPE_CHECKING:
    from evaluation.ranker_experiment import RankerExperimentReport


def write_plots(report: RankerExperimentReport, directory: Path) -> list[Path]:
    """``propensities.png`` (estimated vs true), ``rankers.png`` (nDCG@10, success per intent)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if report.propensities is not None:
        p = report.propensities
        figure = Figure(figsize=(6, 4))
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        ranks = np.arange(1, len(p.true) + 1)
        est = np.array([np.nan if v is None else v for v in p.estimated])
        low = np.array([np.nan if v is None else v for v in p.low])
        high = np.array([np.nan if v is None else v for v in p.high])
        ax.plot(ranks, p.true, "k-", label="true (simulator)")
        ax.errorbar(ranks, est, yerr=[est - low, high - est], fmt="o", label="estimated")
        ax.set_xlabel("display position")
        ax.set_ylabel("examination propensity p_k / p_1")
        ax.set_title(f"Position bias from {p.scheme} swaps ({p.swapped_searches} swapped)")
        ax.legend()
        path = directory / "propensities.png"
        figure.savefig(path, dpi=110, bbox_inches="tight")
        files.append(path)

    figure = Figure(figsize=(11, 4))
    FigureCanvasAgg(figure)
    names = list(report.evaluation)
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    left.bar(names, [report.evaluation[n].ndcg_at_10 for n in names])
    left.set_ylabel("nDCG@10 (fresh sessions)")
    left.set_title("Same candidate sets, ordered by each ranker")
    left.tick_params(axis="x", rotation=30)
    intents = sorted({k for e in report.evaluation.values() for k in e.per_intent_success})
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [report.evaluation[name].per_intent_success.get(k, 0.0) for k in intents]
        right.bar(np.arange(len(intents)) + i * width, values, width, label=name)
    right.set_xticks(np.arange(len(intents)) + 0.4 - width / 2, intents, rotation=30)
    right.set_ylabel("success@10")
    right.set_title("Per intent type")
    right.legend(fontsize=7)
    path = directory / "rankers.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    files.append(path)
    return files


def simulate_ranker_command(
    catalog_size: Annotated[int, typer.Option(min=1, help="Entities in the catalog.")] = 20_000,
    train_sessions: Annotated[
        int, typer.Option(min=1, help="Logged sessions that the rankers learn from.")
    ] = 4_000,
    eval_sessions: Annotated[
        int, typer.Option(min=1, help="Fresh sessions each ranker is measured on.")
    ] = 1_000,
    seed: Annotated[int, typer.Option(help="Seed of catalog, listeners and sessions.")] = 0,
    swap_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of logged pages with a random swap.")
    ] = 0.1,
    data_dir: Annotated[
        Path, typer.Option(help="Where generated catalogs and their indexes are kept.")
    ] = Path("data/sim"),
    coldstart_queries: Annotated[
        int,
        typer.Option(
            min=0, help="Synthetic queries for a cold-start ranker trained first (0: none)."
        ),
    ] = 5_000,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write PNG plots here.")] = None,
    keep_data: Annotated[
        Path | None,
        typer.Option(
            help="Keep the experiment's data dir (learning log, memory, registry) here.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Log simulated feedback under RRF, train rankers from it, compare them on fresh sessions."""
    from evaluation.ranker_experiment import run_experiment, summary_rows
    from simulator.world import CatalogWorld

    if keep_data is not None and keep_data.exists() and any(keep_data.iterdir()):
        raise typer.BadParameter(
            f"{keep_data} is not empty: give a new or empty directory to keep the data in",
            param_hint="--keep-data",
        )
    pristine, catalog = prepare_data_dir(data_dir, catalog_size, seed)
    world = CatalogWorld.from_file(catalog)
    with progress_bar(console) as progress:

        def on_stage(name: str, sessions: int) -> Callable[[object], None]:
            task = progress.add_task(name, total=sessions)
            return lambda _record: progress.advance(task)

        with tempfile.TemporaryDirectory(prefix="ltrr-ranker-", dir=data_dir) as scratch:
            work = Path(scratch) / "data"
            shutil.copytree(pristine, work)
            result = run_experiment(
                work,
                world,
                catalog={"size": catalog_size, "seed": seed, "entities": len(world)},
                train_sessions=train_sessions,
                eval_sessions=eval_sessions,
                seed=seed,
                swap_rate=swap_rate,
                coldstart_queries=coldstart_queries,
                on_stage=on_stage,
            )
            if keep_data is not None:
                shutil.copytree(work, keep_data, dirs_exist_ok=True)
    table = Table(title=f"rankers on {eval_sessions} fresh sessions, seed {seed}")
    for column in ("ranker", "ndcg@10", "vs rrf", "success@10"):
        table.add_column(column, justify="left" if column == "ranker" else "right")
    for row in summary_rows(result):
        table.add_row(*(str(row[c]) for c in ("ranker", "ndcg@10", "vs rrf", "success@10")))
    console.print(table)
    if result.propensities is not None:
        p = result.propensities
        console.print(
            f"propensities ({p.scheme}, {p.swapped_searches} swapped): mean abs error "
            f"{p.mean_abs_error:.3f}, max {p.max_abs_error:.3f} vs the true curve"
        )
    text = result.model_dump_json(indent=2)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text, encoding="utf-8")
        console.print(f"wrote {json_out}")
    else:
        typer.echo(text)
    if report is not None:
        files = write_plots(result, report)
        console.print(f"wrote {', '.join(str(f) for f in files)}")
