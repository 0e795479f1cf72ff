"""``ltrr ope``: estimate a retrieval-plan policy's reward from the decision log, off-policy."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True)


def ledger_file(log: Path) -> Path:
    """The reward ledger of a data dir, of a kept simulation log, or the file itself."""
    for candidate in (log, log / "ledger.sqlite", log / "bandit" / "ledger.sqlite"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no reward ledger at {log}: give a data dir (with bandit/ledger.sqlite), "
        "a directory kept by `ltrr simulate --keep-logs`, or the ledger file"
    )


def ope_command(
    log: Annotated[Path, typer.Option("--log", help="Data dir or ledger of the logging policy.")],
    policy: Annotated[
        list[str],
        typer.Option(
            "--policy",
            help="Policy to evaluate (repeatable): static:bm25=100,dense=50 | snapshot:PATH | "
            "snapshot:PATH@exploration=epsilon,epsilon=0.05",
        ),
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write results here.")] = None,
    bootstrap: Annotated[int, typer.Option(min=100, help="Bootstrap resamples.")] = 2000,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = 0.95,
    clip: Annotated[
        float | None, typer.Option(help="Clip importance weights at this value.")
    ] = None,
    seed: int = 0,
) -> None:
    """Estimate candidate policies' mean reward with IPS, SNIPS and doubly robust."""
    from bandit.ledger import RewardLedger
    from bandit.offpolicy import logged_data, parse_target
    from bandit.ope import estimate
    from bandit.plans import PlanSpace
    from service.settings import Settings

    try:
        path = ledger_file(log)
    except FileNotFoundError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=2) from error
    settings = Settings()
    pipeline = settings.pipeline
    space = PlanSpace(
        pipeline.strategies,
        settings.bandit.ladder,
        pipeline.candidate_budget,
        pipeline.default_plan,
    )
    ledger = RewardLedger(path)
    rows = list(ledger.closed_after(0, limit=10_000_000))
    ledger.close_db()
    results: dict[str, object] = {
        "log": str(path),
        "searches": len(rows),
        "logging_policy_mean_reward": sum(r.outcome.reward for r in rows) / max(len(rows), 1),
        "policies": {},
    }
    table = Table(title=f"off-policy estimates on {len(rows)} logged searches")
    for column in ("policy", "estimator", "value", "CI", "ESS", "max w"):
        table.add_column(column)
    for spec in policy:
        try:
            target = parse_target(spec, space, settings.bandit)
            data = logged_data(rows, space, target)
        except (ValueError, FileNotFoundError) as error:
            console.print(f"[red]error:[/red] {spec}: {error}")
            raise typer.Exit(code=2) from error
        estimates = {}
        for name in ("ips", "snips", "dr"):
            with warnings.catch_warnings():
                # Too few effective samples make the bootstrap degenerate: reported as n/a.
                warnings.simplefilter("ignore")
                found = estimate(
                    data, name, n_bootstrap=bootstrap, confidence=confidence, seed=seed, clip=clip
                )
            estimates[name] = {
                k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in asdict(found).items()
            }
            interval = (
                f"[{found.ci_low:.4f}, {found.ci_high:.4f}]"
                if math.isfinite(found.ci_low) and math.isfinite(found.ci_high)
                else "n/a (too few effective samples)"
            )
            table.add_row(
                spec,
                name,
                f"{found.value:.4f}",
                interval,
                f"{found.effective_sample_size:.0f}",
                f"{found.max_weight:.1f}",
            )
        results["policies"][spec] = estimates  # type: ignore[index]
    console.print(table)
    text = json.dumps(results, indent=2)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)
