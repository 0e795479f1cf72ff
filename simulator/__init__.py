"""Simulated listeners with latent intents: the instrument that measures whether ltrr learns.

Listeners (:mod:`simulator.population`) with latent intents
(:mod:`simulator.intents`, :mod:`simulator.sampling`) phrase queries with noise
(:mod:`simulator.queries`, :mod:`simulator.noise`), search through the public
HTTP API (:mod:`simulator.api`), and examine, click and play results under a
position-based click model (:mod:`simulator.clicks`); one session end to end is
:class:`simulator.session.SessionRunner`. Ground truth comes from the catalog
file (:mod:`simulator.world`) and never reaches the service. See docs/simulator.md.
"""

from simulator.api import HttpClient, SearchCall, SearchOutcome, ServiceApi, ServiceError
from simulator.clicks import ClickModel, ClickModelConfig
from simulator.config import FeedbackMode, ImpressionMode, SimulatorConfig
from simulator.intents import GroundTruth, Intent, IntentType
from simulator.session import PlanChooser, PlanRequest, SessionRecord, SessionRunner
from simulator.world import CatalogWorld

__all__ = [
    "CatalogWorld",
    "ClickModel",
    "ClickModelConfig",
    "FeedbackMode",
    "GroundTruth",
    "HttpClient",
    "ImpressionMode",
    "Intent",
    "IntentType",
    "PlanChooser",
    "PlanRequest",
    "SearchCall",
    "SearchOutcome",
    "ServiceApi",
    "ServiceError",
    "SessionRecord",
    "SessionRunner",
    "SimulatorConfig",
]
