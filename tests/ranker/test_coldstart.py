"""Cold-start ranker: synthetic queries, the training set, the quality bar and the CLI."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import typer
from numpy.typing import NDArray
from typer.testing import CliRunner

from bandit.config import BanditConfig
from catalog.model import EntityType
from evaluation.judged import JudgedQuery, JudgedSet, load_judged_set
from evaluation.judged_metrics import score_run
from ranker.coldstart import (
    COLDSTART_FEATURES,
    EXACT_LABEL,
    SOURCE_LABEL,
    ColdStartStats,
    synthetic_training_set,
    train_coldstart,
)
from ranker.coldstart_cli import coldstart_command
from ranker.dataset import DatasetError, RankingDataset
from ranker.registry import DataSpan, open_registry
from ranker.synthetic_queries import SyntheticQuery, synthetic_queries
from ranker.train import TrainedModel
from retrievers.base import RetrievalQuery
from retrievers.normalize import normalize_query
from retrievers.query_generation import QueryKind, predicted_queries
from service.app_state import Services, build_services
from service.metrics import Metrics
from service.ranking import Listener
from service.settings import FeedbackConfig, Settings
from simulator.population import Population, PopulationConfig
from simulator.queries import QueryConfig, QueryFormulator
from simulator.sampling import IntentConfig, IntentSampler
from simulator.world import CatalogWorld

FIXTURES = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
JUDGED_QUERIES = FIXTURES / "fixture_queries.tsv"
JUDGED_QRELS = FIXTURES / "fixture_qrels.txt"
SIMULATED_SESSIONS = 600
INDEX_BUILD_TOLERANCE = 3e-3
"""nDCG@10 moves by up to ~0.002 between builds of the fixture data dir: the BM25 index is
written by several threads, so its segment layout, hence the order of tied scores, varies
from one ``index_catalog`` to the next (measured: RRF on the judged set 0.8614-0.8632)."""
WHEN = datetime(2026, 6, 1, 12, tzinfo=UTC)
N_QUERIES = 1000
SEED = 0


@pytest.fixture(scope="module")
def services(
    settings: Settings, fixture_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """The service's parts over a copy of the fixture data dir (the session's stays as is)."""
    data_dir = tmp_path_factory.mktemp("coldstart") / "data"
    shutil.copytree(fixture_data_dir, data_dir)
    # A strategy that overran its timeout on a busy test machine would change a union.
    pipeline = settings.pipeline.model_copy(update={"strategy_timeout_ms": 60_000.0})
    built = build_services(
        settings.model_copy(
            update={
                "data_dir": data_dir,
                "pipeline": pipeline,
                "bandit": BanditConfig(enabled=False),
                "feedback": FeedbackConfig(in_process_worker=False),
            }
        ),
        Metrics(),
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture(scope="module")
def judged() -> JudgedSet:
    return load_judged_set(JUDGED_QUERIES, JUDGED_QRELS)


@pytest.fixture(scope="module")
def simulated() -> JudgedSet:
    """A second evaluation set, independent of the hand-judged one: the simulator's
    listeners (Zipf-distributed intents, noisy and partial phrasings, descriptive needs)
    with the simulator's graded ground truth, one query per distinct text."""
    world = CatalogWorld.from_file(FIXTURES / "fixture_catalog.jsonl")
    population = Population.generate(world, PopulationConfig(listeners=200), seed=7)
    sampler = IntentSampler(world, IntentConfig(), seed=7)
    formulator = QueryFormulator(world, QueryConfig())
    rng = random.Random(7)
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for session in range(SIMULATED_SESSIONS):
        listener = population.pick(rng)
        intent, _ = sampler.sample(rng, listener)
        text = formulator.formulate(intent, listener, rng).text.strip()
        if text and text not in queries.values():
            qid = f"sim-{session}"
            queries[qid] = text
            qrels[qid] = dict(sampler.truth(intent).grades)
    return JudgedSet(
        queries=[JudgedQuery(qid=qid, text=text) for qid, text in queries.items()],
        qrels=qrels,
    )


def _held_out(*sets: JudgedSet) -> list[str]:
    """Every evaluation query, kept out of training."""
    return [query.text for judged_set in sets for query in judged_set.queries]


@dataclass
class Trained:
    queries: list[SyntheticQuery]
    model: TrainedModel
    span: DataSpan
    stats: ColdStartStats


@pytest.fixture(scope="module")
def trained(services: Services, judged: JudgedSet, simulated: JudgedSet) -> Trained:
    """The cold-start model of the quality bar; every evaluation query is held out."""
    held_out = _held_out(judged, simulated)
    model, span, stats = train_coldstart(services, N_QUERIES, SEED, exclude=held_out, when=WHEN)
    queries = synthetic_queries(
        services.store,
        N_QUERIES,
        SEED,
        generation=services.settings.memory.generation,
        exclude=held_out,
    )
    return Trained(queries, model, span, stats)


@dataclass
class Served:
    """One judged query's union as served: ids in RRF order, and their feature rows."""

    ids: list[str]
    features: NDArray[np.float32]


def _unions(services: Services, judged: JudgedSet) -> dict[str, Served]:
    """Every query searched under the default plan, ranked by RRF (features kept)."""

    async def search() -> dict[str, Served]:
        out = {}
        for query in judged.queries:
            request = RetrievalQuery(query.text)
            result = await services.pipeline.run(request, services.default_plan)
            assert not result.failures, (query.qid, result.failures)
            outcome = services.ranking.rank(
                request,
                result,
                model=None,
                listener=Listener(),
                locale=None,
                device=None,
                when=WHEN,
                size=10,
            )
            assert outcome.features is not None
            out[query.qid] = Served(outcome.ids, outcome.features)
        return out

    return asyncio.run(search())


@pytest.fixture(scope="module")
def judged_unions(services: Services, judged: JudgedSet) -> dict[str, Served]:
    return _unions(services, judged)


@pytest.fixture(scope="module")
def simulated_unions(services: Services, simulated: JudgedSet) -> dict[str, Served]:
    return _unions(services, simulated)


# -- synthetic queries ---------------------------------------------------------------------


def test_synthetic_queries_are_deterministic_under_seed(services: Services) -> None:
    generation = services.settings.memory.generation
    first = synthetic_queries(services.store, 300, 7, generation=generation)
    again = synthetic_queries(services.store, 300, 7, generation=generation)
    other = synthetic_queries(services.store, 300, 8, generation=generation)
    assert first == again
    assert first != other
    assert len(first) == 300


def test_synthetic_queries_come_from_the_memorys_generator(services: Services) -> None:
    generation = services.settings.memory.generation
    queries = synthetic_queries(services.store, 300, 3, generation=generation)
    entities = services.store.get_many(sorted({q.entity_id for q in queries}))
    for query in queries:
        predicted = {
            p.normalized: p for p in predicted_queries(entities[query.entity_id], generation)
        }
        match = predicted[normalize_query(query.text)]
        assert (match.kind, match.score) == (query.kind, query.predicted)


def test_sampling_is_stratified_by_type_and_leans_to_popular_entities(
    services: Services,
) -> None:
    catalog = list(services.store.iter_all())  # a plain iterable of entities works too
    queries = synthetic_queries(catalog, 2000, 5)
    by_id = {e.id: e for e in catalog}
    sampled = [by_id[q.entity_id] for q in queries]

    catalog_types = Counter(e.type for e in catalog)
    sampled_types = Counter(e.type for e in sampled)
    for entity_type in EntityType:
        expected = 2000 * catalog_types[entity_type] / len(catalog)
        assert abs(sampled_types[entity_type] - expected) <= 1, entity_type

    tracks = sorted((e for e in catalog if e.type is EntityType.TRACK), key=lambda e: e.popularity)
    head, tail = {e.id for e in tracks[-20:]}, {e.id for e in tracks[:20]}
    drawn = Counter(q.entity_id for q in queries)
    assert sum(drawn[i] for i in head) > 3 * sum(drawn[i] for i in tail)
    assert sum(drawn[i] for i in tail) > 0  # the tail is trained on too
    uniform = Counter(q.entity_id for q in synthetic_queries(catalog, 2000, 5, tail_share=1))
    assert sum(uniform[i] for i in head) < 2 * sum(uniform[i] for i in tail)
    assert len({q.kind for q in queries}) >= 8  # titles, artists, facets, misspellings...


def test_excluded_queries_are_never_picked(services: Services, judged: JudgedSet) -> None:
    held_out = {normalize_query(text) for text in _held_out(judged)}
    queries = synthetic_queries(services.store, 2000, 11, exclude=_held_out(judged))
    assert not held_out & {normalize_query(q.text) for q in queries}
    assert held_out & {
        normalize_query(q.text) for q in synthetic_queries(services.store, 2000, 11)
    }, "without the exclusion, judged queries such as artist names are generated"


@pytest.mark.parametrize(
    ("n", "tail_share", "message"),
    [
        (0, 0.2, "n must be a positive integer, but 0 is given"),
        (-3, 0.2, "n must be a positive integer, but -3 is given"),
        (10, 1.5, r"tail_share must be in \[0, 1\], but 1.5 is given"),
        (10, -0.1, r"tail_share must be in \[0, 1\], but -0.1 is given"),
        (10, 0.2, "popularity_zipf must be >= 0, but -1.0 is given"),
    ],
)
def test_bad_sampling_arguments_are_refused(
    services: Services, n: int, tail_share: float, message: str
) -> None:
    zipf = -1.0 if "zipf" in message else 1.0
    with pytest.raises(ValueError, match=message):
        synthetic_queries(services.store, n, 0, tail_share=tail_share, popularity_zipf=zipf)


def test_an_empty_catalog_is_refused() -> None:
    with pytest.raises(ValueError, match="the catalog has no entity"):
        synthetic_queries([], 10, 0)


# -- the training set ----------------------------------------------------------------------


def _same(a: RankingDataset, b: RankingDataset) -> bool:
    return (
        np.array_equal(a.features, b.features, equal_nan=True)
        and np.array_equal(a.labels, b.labels)
        and np.array_equal(a.group_sizes, b.group_sizes)
        and np.array_equal(np.asarray(a.query_times), np.asarray(b.query_times))
    )


def test_training_set_is_deterministic_and_labels_source_and_exact_matches(
    services: Services, trained: Trained
) -> None:
    queries = trained.queries[:40]
    first, stats = synthetic_training_set(services, queries, when=WHEN)
    again, _ = synthetic_training_set(services, queries, when=WHEN)
    assert _same(first, again)
    assert first.feature_names == services.ranking.spec.names
    assert stats.groups == first.n_queries
    assert stats.rows == first.n_rows

    exact = first.features[:, services.ranking.spec.index["exact_match"]]
    offsets = first.query_offsets
    for group in range(first.n_queries):
        labels = first.labels[offsets[group] : offsets[group + 1]]
        assert (labels == SOURCE_LABEL).sum() == 1
    assert set(np.unique(first.labels)) <= {0, EXACT_LABEL, SOURCE_LABEL}
    exact_rows = first.labels == EXACT_LABEL
    assert np.all(exact[exact_rows] == 1.0)
    assert np.all((exact == 1.0) <= (first.labels > 0))  # every exact match is labelled
    assert stats.exact_rows == int(exact_rows.sum()) > 0


def test_groups_without_their_entity_are_dropped_and_counted(
    services: Services, trained: Trained
) -> None:
    real = trained.queries[:12]
    baseline, base_stats = synthetic_training_set(services, real, when=WHEN)
    lost = SyntheticQuery("hey jude", "fx:track:not-in-this-catalog", QueryKind.TITLE, 1)
    mixed = [real[0], lost, *real[1:6], lost, *real[6:], lost]
    dataset, stats = synthetic_training_set(services, mixed, when=WHEN)

    assert stats.queries == len(mixed)
    assert stats.missed == base_stats.missed + 3
    assert stats.missed_kinds[QueryKind.TITLE.value] >= 3
    assert stats.groups == base_stats.groups == dataset.n_queries
    assert np.array_equal(dataset.features, baseline.features, equal_nan=True)
    assert np.array_equal(dataset.labels, baseline.labels)
    # A group's time is its query's index in the list given, dropped queries included.
    position = [i for i, query in enumerate(mixed) if query is not lost]
    expected = [position[int(t)] for t in np.asarray(baseline.query_times)]
    assert np.asarray(dataset.query_times).tolist() == expected

    with pytest.raises(DatasetError, match="none of the 2 synthetic queries found its entity"):
        synthetic_training_set(services, [lost, lost], when=WHEN)


# -- the model -----------------------------------------------------------------------------


def _ndcg_at_10(
    judged: JudgedSet,
    unions: dict[str, Served],
    model: TrainedModel | None,
) -> float:
    """nDCG@10 (ranx, as ``ltrr eval``) of each union kept in RRF order or ordered by the
    model (ties keep RRF order, as the ranking stage serves them)."""
    ranking = {}
    for qid, served in unions.items():
        if model is None:
            ranking[qid] = served.ids
        else:
            order = np.argsort(-model.predict(served.features), kind="stable")
            ranking[qid] = [served.ids[i] for i in order]
    return score_run(judged.relevant, ranking).ndcg_at_10


def _held_out_of_training(trained: Trained, evaluation: JudgedSet) -> None:
    """No synthetic query's text equals an evaluation query, exactly or once normalized."""
    texts = {q.text for q in evaluation.queries}
    keys = {normalize_query(text) for text in texts}
    assert not texts & {q.text for q in trained.queries}
    assert not keys & {normalize_query(q.text) for q in trained.queries}


def test_coldstart_ranks_judged_queries_better_than_rrf(
    trained: Trained, judged: JudgedSet, judged_unions: dict[str, Served]
) -> None:
    """The quality bar: the same plan and unions, ordered by the model or kept in RRF order.

    The judged and the simulated queries are held out of training (checked). Measured on the
    fixture catalog, 1000 synthetic queries drawn, seed 0 (989 left once the evaluation
    queries are held out, 985 kept; 4 facet queries missed by retrieval):

        RRF          nDCG@10 0.8614
        cold start   nDCG@10 0.8677

    Seeds 1-3 land at 0.867-0.869. The same synthetic data with every feature free and no
    monotone constraint: 0.835 after 100 rounds, 0.852 early-stopped (ranker/coldstart.py
    says why). Reproduce with ``pytest tests/ranker/test_coldstart.py -k judged``.
    """
    _held_out_of_training(trained, judged)
    rrf = _ndcg_at_10(judged, judged_unions, None)
    coldstart = _ndcg_at_10(judged, judged_unions, trained.model)
    assert rrf == pytest.approx(0.8614, abs=INDEX_BUILD_TOLERANCE)
    assert coldstart == pytest.approx(0.8677, abs=2 * INDEX_BUILD_TOLERANCE)
    assert coldstart >= rrf + 0.003


def test_coldstart_ranks_simulated_queries_better_than_rrf(
    trained: Trained, simulated: JudgedSet, simulated_unions: dict[str, Served]
) -> None:
    """The same bar on the simulator's listeners: a second, larger query set with its own
    graded truth, independent of the hand-judged one (partial, misspelled, descriptive and
    related-entity queries in the simulator's proportions).

    Measured (426 distinct simulated queries from 600 sessions, seed 7):

        RRF          nDCG@10 0.8321
        cold start   nDCG@10 0.8469   (every feature free: 0.81 after 100 rounds)
    """
    _held_out_of_training(trained, simulated)
    assert len(simulated.queries) == 426
    rrf = _ndcg_at_10(simulated, simulated_unions, None)
    coldstart = _ndcg_at_10(simulated, simulated_unions, trained.model)
    assert rrf == pytest.approx(0.8321, abs=INDEX_BUILD_TOLERANCE)
    assert coldstart == pytest.approx(0.8469, abs=2 * INDEX_BUILD_TOLERANCE)
    assert coldstart >= rrf + 0.01


def test_coldstart_training_summary(trained: Trained) -> None:
    stats, span = trained.stats, trained.span
    assert stats.queries == len(trained.queries) >= 0.98 * N_QUERIES  # some held out
    assert stats.strategy_failures == 0
    assert stats.groups + stats.missed == stats.queries
    assert stats.recall > 0.95
    assert span == DataSpan(source="synthetic", searches=stats.groups, rows=stats.rows)
    assert trained.model.best_iteration == 100
    assert set(trained.model.valid_metrics) == {"ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10"}


def test_model_reads_only_the_coldstart_features_and_is_monotone_in_them(
    trained: Trained, judged_unions: dict[str, Served]
) -> None:
    model = trained.model
    names = list(model.feature_names)
    used = {names[i] for i in np.flatnonzero(model.booster.feature_importance("split"))}
    assert {"rrf_score", "memory_score"} <= used <= set(COLDSTART_FEATURES)

    rows = np.concatenate([served.features for served in judged_unions.values()])
    scores = model.predict(rows)
    rng = np.random.default_rng(0)
    others = [i for i, name in enumerate(names) if name not in COLDSTART_FEATURES]
    shuffled = rows.copy()
    shuffled[:, others] = rng.normal(size=(len(rows), len(others))).astype(np.float32)
    assert np.array_equal(model.predict(shuffled), scores)

    for name in COLDSTART_FEATURES:
        raised = rows.copy()
        column = names.index(name)
        raised[:, column] = np.nan_to_num(raised[:, column]) + 0.5
        known = ~np.isnan(rows[:, column])  # LightGBM places missing values freely
        assert np.all(model.predict(raised)[known] >= scores[known] - 1e-12), name


def test_registered_model_reloads_with_identical_predictions(
    tmp_path: Path, services: Services, trained: Trained, judged_unions: dict[str, Served]
) -> None:
    spec = services.ranking.spec
    rows = np.concatenate([served.features for served in judged_unions.values()])
    with open_registry(tmp_path, None) as registry:
        record = registry.register(trained.model, spec, trained_on=trained.span)
        loaded = registry.load(record.version, expected_spec=spec)
    assert record.trained_on.source == "synthetic"
    assert np.array_equal(loaded.model.predict(rows), trained.model.predict(rows))


# -- the command ---------------------------------------------------------------------------

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(coldstart_command)
    return app


@pytest.fixture
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LTRR_REDIS_URL", "REDIS_URL", "LTRR_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("_no_environment")
def test_command_trains_registers_and_activates(tmp_path: Path, fixture_data_dir: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(fixture_data_dir, data_dir)
    args = ["--data-dir", str(data_dir), "--queries", "150", "--seed", "1"]
    result = runner.invoke(_app(), [*args, "--activate", "--holdout", str(JUDGED_QUERIES)])
    assert result.exit_code == 0, result.output

    found = re.search(r"registered (\S+): 150 synthetic queries", result.stdout)
    assert found is not None, result.stdout
    version = found.group(1)
    assert f"activated {version}" in result.stdout
    assert "validation on held-out synthetic queries: ndcg@1 " in result.stdout
    with open_registry(data_dir, None) as registry:
        assert registry.active() == version
        record = registry.get(version)
    assert record.trained_on.source == "synthetic"
    assert 0 < record.trained_on.searches <= 150
    assert record.notes.startswith("cold start: 150 synthetic queries (seed 1)")

    again = runner.invoke(_app(), args)  # registered, not activated
    assert again.exit_code == 0, again.output
    with open_registry(data_dir, None) as registry:
        assert registry.active() == version
        assert len(registry.list()) == 2


@pytest.mark.usefixtures("_no_environment")
def test_command_without_a_data_dir_fails_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(_app(), ["--data-dir", str(tmp_path / "missing"), "--queries", "5"])
    assert result.exit_code == 2
    assert "no catalog store" in result.stderr
    assert "Traceback" not in result.stderr
