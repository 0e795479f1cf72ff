"""What simulated listeners search for: the searches of a session run, without a service.

Session ``i`` of a seed draws its listener, latent intent, query, device and
moment from one seeded stream, in the same order whether the session is then
run against a service (:class:`simulator.session.SessionRunner`) or only
written out as traffic (``ltrr simulate-traffic``, which the load test replays).
So a load test sends the queries the simulator measures quality on: the same
head and tail, the same misspellings, the same listeners with their tastes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from simulator.api import SearchCall
from simulator.config import SimulatorConfig
from simulator.intents import GroundTruth, Intent
from simulator.population import Listener, Population
from simulator.queries import Formulation, QueryFormulator
from simulator.sampling import IntentSampler
from simulator.world import CatalogWorld


@dataclass(frozen=True, slots=True)
class SearchDraw:
    """One session's listener, need and query, with the ground truth kept client-side."""

    index: int
    listener: Listener
    intent: Intent
    head: bool
    truth: GroundTruth
    formulation: Formulation
    call: SearchCall


class ListenerTraffic:
    """Draws session ``i``'s search for a seed; the same draw every time it is asked."""

    def __init__(
        self,
        world: CatalogWorld,
        config: SimulatorConfig,
        seed: int,
        *,
        population: Population | None = None,
        sampler: IntentSampler | None = None,
    ) -> None:
        self.config = config
        self.seed = seed
        self.population = population or Population.generate(world, config.population, seed)
        self.sampler = sampler or IntentSampler(world, config.intents, seed)
        self.drifted: IntentSampler | None = None
        if config.drift is not None:
            intents = config.intents
            if config.drift.type_mix is not None:
                intents = intents.model_copy(update={"type_mix": config.drift.type_mix})
            self.drifted = IntentSampler(world, intents, f"{seed}:drift")
        self.formulator = QueryFormulator(world, config.queries)

    def draw(self, index: int) -> SearchDraw:
        config = self.config
        rng = random.Random(f"{self.seed}:session:{index}")
        listener = self.population.pick(rng)
        sampler = self.sampler
        drift = config.drift
        if self.drifted is not None and drift is not None and index >= drift.at_session:
            sampler = self.drifted
        intent, head = sampler.sample(rng, listener)
        truth = sampler.truth(intent)
        formulation = self.formulator.formulate(intent, listener, rng)
        moment = config.clock_start + timedelta(
            seconds=config.session_gap_s * (index + rng.random())
        )
        call = SearchCall(
            query=formulation.text,
            user_id=listener.user_id,
            locale=listener.locale,
            device=listener.pick_device(rng),
            timestamp=moment,
            size=config.page_size,
            explain=config.explain,
        )
        return SearchDraw(index, listener, intent, head, truth, formulation, call)

    def searches(self, count: int, start: int = 0) -> Iterator[SearchDraw]:
        """Sessions ``start .. start + count - 1``' searches, in order."""
        for index in range(start, start + count):
            yield self.draw(index)
