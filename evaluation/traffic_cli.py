"""``ltrr simulate-traffic``: the simulator's searches written out for a load test to replay.

Each line is one search as a client sends it (``{"search": <POST /search body>, ...}``)
with the kind of need behind it, from the same listeners, intents and query
formulation that ``ltrr simulate`` measures quality on: a Zipfian head of
repeated queries, a long tail, misspellings, listeners with tastes. The load
test (``load_tests/locustfile.py``) replays the file, so it exercises the
caches and indexes the way listener traffic does, not a dozen fixed queries.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.progress import progress_bar

console = Console(stderr=True)


def simulate_traffic_command(
    catalog: Annotated[
        list[Path],
        typer.Option(
            "--catalog",
            exists=True,
            dir_okay=False,
            readable=True,
            help="Catalog file the service indexed (repeatable, in the order indexed).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="JSONL file to write.")],
    searches: Annotated[int, typer.Option(min=1, help="Searches to write.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of listeners and sessions.")] = 0,
) -> None:
    """Write simulated listeners' searches over a catalog as JSONL, for `make load`."""
    from simulator.config import SimulatorConfig
    from simulator.traffic import ListenerTraffic
    from simulator.world import CatalogWorld

    world = CatalogWorld.from_files(catalog)
    if len(world) == 0:
        raise typer.BadParameter("the catalog holds no entities", param_hint="--catalog")
    traffic = ListenerTraffic(world, SimulatorConfig(), seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle, progress_bar(console) as progress:
        task = progress.add_task(f"writing {out.name}", total=searches)
        for drawn in traffic.searches(searches):
            # A client sends its own clock; the simulated one would put every search in the past.
            body = replace(drawn.call, timestamp=None, explain=False).body()
            line = {"search": body, "intent": drawn.intent.type.value, "head": drawn.head}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            progress.advance(task)
    partial.replace(out)
    console.print(f"{searches} searches by {len(traffic.population)} listeners → {out}")
