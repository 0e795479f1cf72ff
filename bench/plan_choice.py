"""What choosing a retrieval plan adds to a search, and how fast rewards are learned.

    python bench/plan_choice.py --searches 3000

Over the fixture catalog's data dir (built in a temp dir), for each design
(joint, semi) with SquareCB exploration, after the policy has learned
``--warm`` rewards (so it serves the model, not the cold-start plan):

* ``choose``: the planner's whole step of a search — context (memory hit
  strength, each strategy's support for the query from its index statistics,
  query count, listener tastes read from the state store) plus the policy's
  choice — p50 / p99 / max in ms over ``--searches`` searches of
  the fixture's judged queries with random listeners and devices;
  ``choose_cpu``: the same in CPU time of the calling thread, which other
  processes on a busy machine do not inflate (the load average is printed);
* ``learn_per_s``: rewards learned per second by the policy (``learn``), the
  learner's share of the worker's work per feedback-closed search.

Prints JSON: ``{designs: {name: {choose: {p50_ms, p99_ms, max_ms}, learn_per_s}}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bandit.config import BanditConfig, Crossing, Design
from bandit.policy import Outcome
from catalog.store import EntityStore
from service.app_state import open_bandit, open_listener_state
from service.indexing import index_catalog
from service.metrics import Metrics
from service.settings import Settings
from service.strategies import STORE_FILE, StrategyEnv, build_retrievers

FIXTURES = Path(__file__).resolve().parent.parent / "catalog" / "fixtures"
FIXTURE = FIXTURES / "fixture_catalog.jsonl"


def fixture_queries() -> list[str]:
    lines = (FIXTURES / "fixture_queries.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if "\t" in line]


def run(
    design: Design,
    data_dir: Path,
    searches: int,
    warm: int,
    seed: int,
    crossing: Crossing,
    support: bool,
) -> dict[str, object]:
    config = BanditConfig(
        design=design, cold_start_rewards=0, seed=seed, crossing=crossing, support=support
    )
    settings = Settings(data_dir=data_dir, bandit=config)
    store = EntityStore(data_dir / STORE_FILE)
    env = StrategyEnv(settings, store)
    runtime = open_bandit(
        settings,
        env,
        store,
        Metrics(),
        open_listener_state(settings),
        learns=False,
        retrievers=build_retrievers(settings, env),
    )
    assert runtime is not None
    planner, policy = runtime.planner, runtime.holder.policy
    understanding = env.understanding()
    rng = random.Random(seed)
    queries = fixture_queries()
    parses = {q: understanding.parse(q) for q in queries}
    users = [f"user-{i}" for i in range(200)]
    for user in users[:50]:
        runtime.state.record_taste(user, rng.sample(["rock", "pop", "jazz", "hip hop"], 2))

    def context(query: str) -> object:
        return planner.context(
            query,
            parses[query],
            user_id=rng.choice(users),
            device=rng.choice(["mobile", "desktop", None]),
            locale=rng.choice(["en-US", "es-ES", None]),
            when=None,
        )

    start = time.perf_counter()
    for _ in range(warm):
        choice = policy.choose(context(rng.choice(queries)), rng)  # type: ignore[arg-type]
        hit = rng.random() < 0.6
        policy.learn(choice, Outcome(success=hit, reward=float(hit) - 0.1, found_ranks={"bm25": 2}))
    learn_s = time.perf_counter() - start

    timings, cpu = [], []
    for _ in range(searches):
        query = rng.choice(queries)
        t0, c0 = time.perf_counter(), time.thread_time()
        planner.choose(context(query))  # type: ignore[arg-type]
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    runtime.close()
    env.close()
    store.close()
    return {
        "choose": {
            "p50_ms": round(float(np.percentile(timings, 50)), 3),
            "p99_ms": round(float(np.percentile(timings, 99)), 3),
            "max_ms": round(max(timings), 3),
        },
        "choose_cpu": {
            "p50_ms": round(float(np.percentile(cpu, 50)), 3),
            "p99_ms": round(float(np.percentile(cpu, 99)), 3),
        },
        "learn_per_s": round(warm / learn_s, 1),
        "note": "learn_per_s includes a choose per reward",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--searches", type=int, default=3000)
    parser.add_argument("--warm", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--crossing", choices=[c.value for c in Crossing], default=Crossing.FULL.value
    )
    parser.add_argument(
        "--no-support",
        action="store_true",
        help="Leave the strategies' support out of the context (LTRR_BANDIT__SUPPORT=false).",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ltrr-bench-plan-") as tmp:
        data_dir = Path(tmp) / "data"
        index_catalog(FIXTURE, data_dir, Settings(data_dir=data_dir), strict=True)
        designs = {
            design.value: run(
                design,
                data_dir,
                args.searches,
                args.warm,
                args.seed,
                Crossing(args.crossing),
                not args.no_support,
            )
            for design in (Design.JOINT, Design.SEMI)
        }
    result = {
        "searches": args.searches,
        "warm": args.warm,
        "crossing": args.crossing,
        "support": not args.no_support,
        "load_average": os.getloadavg(),
        "designs": designs,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
