"""Search latency of the learned bandit against static plans, paired search by search, as JSON.

    python bench/plan_latency.py --data-dir data/sim/catalog-100000-seed1 \\
        --catalog data/sim/catalog-100000-seed1.jsonl --snapshot logs/bandit/snapshots/vN.snap \\
        --ranker-model keep/ranker/VERSION --searches 3000 --session-seed 2 \\
        --policy bandit --policy static-all --policy static:bm25=10,dense=10,structured=10,memory=10

One in-process service over a copy of ``--data-dir`` (a data dir ``ltrr simulate``
built), with the bandit snapshot and the ranker model installed. The searches are the
simulator's for the session seed (``simulator.traffic.ListenerTraffic``); each is sent
once per policy, the policies in rotating order, so whatever else the machine does
falls on every policy alike. ``bandit`` lets the service choose the plan from the
snapshot, frozen (``bandit-frozen``: searches that get no feedback do not retrain it
mid-run), so its time includes choosing the plan; a static policy pins its plan in
the request, as ``ltrr simulate`` does. No feedback is sent: this is search time alone.

Prints ``{searches, warmup, policies: {name: {took_ms, client_ms: {mean, p50, p95, p99},
candidates_drawn_mean, union_mean}}, loadavg: {start, end}}``; ``took_ms`` is the service's own
search time (what ``ltrr simulate`` reports as mean latency), ``client_ms`` adds the
in-process HTTP round trip, ``candidates_drawn_mean`` counts what the strategies returned
(as ``ltrr simulate``'s candidates per search).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from evaluation.policies import PolicyEnvironment, PolicyError, StaticPolicy, make_policy
from evaluation.policy_setup import install_ranker, install_snapshot, load_ranker, settings_for
from service.app import create_app
from service.settings import Settings
from simulator.api import ServiceApi
from simulator.config import SimulatorConfig
from simulator.traffic import ListenerTraffic
from simulator.world import CatalogWorld


def summary(values: list[float]) -> dict[str, float]:
    array = np.asarray(values)
    return {
        "mean": round(float(array.mean()), 3),
        "p50": round(float(np.percentile(array, 50)), 3),
        "p95": round(float(np.percentile(array, 95)), 3),
        "p99": round(float(np.percentile(array, 99)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--catalog", type=Path, required=True, action="append")
    parser.add_argument("--snapshot", type=Path, help="Bandit snapshot the bandit serves.")
    parser.add_argument("--ranker-model", type=Path, help="Registered model dir; else RRF.")
    parser.add_argument("--policy", action="append", required=True)
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100, help="Searches not measured.")
    parser.add_argument("--session-seed", type=int, default=0)
    args = parser.parse_args()

    base = Settings(data_dir=args.data_dir)
    strategies = tuple(base.pipeline.strategies)
    env = PolicyEnvironment(strategies=strategies, budget=base.pipeline.candidate_budget)
    statics: dict[str, StaticPolicy] = {}
    for name in args.policy:
        if name == "bandit":
            continue
        try:
            policy = make_policy(name, env)
        except PolicyError as error:
            parser.error(str(error))
        if not isinstance(policy, StaticPolicy):
            parser.error(f"--policy {name}: only bandit and static plans are compared")
        statics[name] = policy
    if "bandit" in args.policy and args.snapshot is None:
        parser.error("--policy bandit needs --snapshot (the learned policy to serve)")
    model = None if args.ranker_model is None else load_ranker(args.ranker_model, strategies)

    world = CatalogWorld.from_files(args.catalog)
    config = SimulatorConfig()
    traffic = ListenerTraffic(world, config, args.session_seed)
    calls = [d.call for d in traffic.searches(args.warmup + args.searches)]

    took: dict[str, list[float]] = {name: [] for name in args.policy}
    client: dict[str, list[float]] = {name: [] for name in args.policy}
    drawn: dict[str, list[int]] = {name: [] for name in args.policy}
    union: dict[str, list[int]] = {name: [] for name in args.policy}
    start_load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ltrr-bench-") as scratch:
        work = Path(scratch) / "data"
        shutil.copytree(args.data_dir, work)
        settings = settings_for("bandit-frozen", work, args.session_seed)
        if args.snapshot is not None:
            install_snapshot(args.snapshot, work)
        if model is not None:
            install_ranker(model, settings)
        with TestClient(create_app(settings)) as http:
            api = ServiceApi(http)
            order = list(args.policy)
            for index, call in enumerate(calls):
                for name in order:
                    plan = None if name == "bandit" else statics[name].plan
                    outcome = api.search(replace(call, plan=plan))
                    if index < args.warmup:
                        continue
                    took[name].append(outcome.took_ms)
                    client[name].append(outcome.client_ms)
                    drawn[name].append(sum(len(run) for run in outcome.candidates.values()))
                    union[name].append(outcome.total_candidates)
                order = order[1:] + order[:1]
    result = {
        "data_dir": str(args.data_dir),
        "ranker": "rrf" if model is None else model.record.version,
        "snapshot": None if args.snapshot is None else args.snapshot.name,
        "searches": args.searches,
        "warmup": args.warmup,
        "session_seed": args.session_seed,
        "policies": {
            name: {
                "took_ms": summary(took[name]),
                "client_ms": summary(client[name]),
                "candidates_drawn_mean": round(float(np.mean(drawn[name])), 2),
                "union_mean": round(float(np.mean(union[name])), 2),
            }
            for name in args.policy
        },
        "loadavg": {"start": start_load, "end": os.getloadavg()},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
