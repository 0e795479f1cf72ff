"""The load test's traffic is the simulator's: the same searches, in a body the service accepts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

from catalog.generate import write_catalog_jsonl
from service.cli import app
from service.schemas import SearchRequest
from simulator.api import SearchCall, SearchOutcome
from simulator.config import DriftConfig, FeedbackMode, SimulatorConfig
from simulator.session import PlanRequest, SessionRunner
from simulator.traffic import ListenerTraffic
from simulator.world import CatalogWorld

FIXTURE = Path(__file__).parents[2] / "catalog" / "fixtures" / "fixture_catalog.jsonl"


class RecordingApi:
    """Answers every search with an empty page; remembers what was sent."""

    def __init__(self) -> None:
        self.calls: list[SearchCall] = []

    def search(self, call: SearchCall) -> SearchOutcome:
        self.calls.append(call)
        return SearchOutcome(
            search_id="s", results=(), took_ms=0.0, client_ms=0.0, total_candidates=0
        )

    def supports_feedback(self) -> bool:
        return False


class NoPlan:
    uses_ground_truth = False

    def choose(self, request: PlanRequest) -> Mapping[str, int] | None:
        return None


def test_sessions_send_exactly_the_traffic_drawn_for_their_seed(world: CatalogWorld) -> None:
    config = SimulatorConfig(feedback=FeedbackMode.OFF, drift=DriftConfig(at_session=40))
    api = RecordingApi()
    runner = SessionRunner(api, world, config, 5, NoPlan())  # type: ignore[arg-type]
    records = list(runner.run(80))
    drawn = list(ListenerTraffic(world, config, 5).searches(80))
    assert api.calls == [d.call for d in drawn]
    assert [(r.user_id, r.intent_key, r.query, r.head) for r in records] == [
        (d.listener.user_id, d.intent.key, d.call.query, d.head) for d in drawn
    ]


def test_a_later_session_is_drawn_the_same_without_the_earlier_ones(world: CatalogWorld) -> None:
    traffic = ListenerTraffic(world, SimulatorConfig(), 3)
    in_order = list(traffic.searches(30))
    assert ListenerTraffic(world, SimulatorConfig(), 3).draw(29) == in_order[29]
    assert [d.call for d in traffic.searches(10, start=20)] == [d.call for d in in_order[20:]]


def _traffic(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    out = tmp_path / "traffic.jsonl"
    result = CliRunner().invoke(app, ["simulate-traffic", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_simulate_traffic_writes_searches_the_service_accepts(
    small_catalog: Path, tmp_path: Path
) -> None:
    args = ["--catalog", str(FIXTURE), "--catalog", str(small_catalog), "--searches", "400"]
    lines = _traffic(tmp_path, *args, "--seed", "4")
    assert len(lines) == 400
    for line in lines:
        request = SearchRequest.model_validate(line["search"])
        assert request.user_id is not None
        assert request.user_id.startswith("sim-")
        assert request.context is not None
        assert request.context.device is not None
        assert request.context.timestamp is None  # the load client's clock, not the simulator's
    queries = Counter(str(line["search"]["query"]) for line in lines)  # type: ignore[index]
    assert len(queries) < len(lines)  # a head of repeated queries ...
    assert sum(1 for n in queries.values() if n == 1) > len(lines) / 4  # ... and a long tail
    assert {str(line["intent"]) for line in lines} == {
        "spearfish",
        "attribute",
        "descriptive",
        "related",
    }
    assert lines == _traffic(tmp_path, *args, "--seed", "4")
    assert lines != _traffic(tmp_path, *args, "--seed", "5")


def test_simulate_traffic_rejects_bad_input_with_a_message(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["simulate-traffic", "--catalog", str(empty), "--out", str(out)])
    assert result.exit_code == 2
    assert "holds no entities" in result.output
    missing = runner.invoke(
        app, ["simulate-traffic", "--catalog", str(tmp_path / "nope.jsonl"), "--out", str(out)]
    )
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    catalog = tmp_path / "catalog.jsonl"
    write_catalog_jsonl(catalog, 200, 1)
    zero = runner.invoke(
        app, ["simulate-traffic", "--catalog", str(catalog), "--searches", "0", "--out", str(out)]
    )
    assert zero.exit_code == 2
    assert not out.exists()
