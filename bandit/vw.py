"""A contextual bandit over action-dependent features, on Vowpal Wabbit (``cb_explore_adf``).

One :class:`AdfLearner` wraps one VW workspace: it turns a shared context line
and one line per action into examples, returns the exploration distribution
VW computes (epsilon-greedy or SquareCB, Foster & Rakhlin 2020) over the
actions in their given order, learns one labelled action at a time, and
serializes to bytes that reload to an identical distribution.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

import numpy as np
import vowpal_wabbit_next as vw

from bandit.config import BanditConfig, Exploration

CONTEXT_NAMESPACES = "qumftdgx"
"""Shared namespaces (see :mod:`bandit.context`), each crossed with the action namespace ``a``."""

logging.getLogger("vowpal_wabbit_next.log").setLevel(logging.ERROR)


def workspace_args(config: BanditConfig, *, self_cross: bool = True) -> list[str]:
    """VW's options. Plans are sampled by ltrr, not by VW, so no VW seed is set (a model
    keeps its own, and a different one given on reload would be refused)."""
    args = [
        "--cb_explore_adf",
        "--cb_type",
        "mtr",
        "--quiet",
        "-b",
        "18",
        "--learning_rate",
        str(config.learning_rate),
    ]
    for letter in CONTEXT_NAMESPACES:
        args += ["-q", f"{letter}a"]
    if self_cross:
        # Pairs of action features: which strategies a plan calls together (redundancy).
        args += ["-q", "aa"]
    if config.exploration is Exploration.EPSILON:
        args += ["--epsilon", str(config.epsilon)]
    else:
        args += [
            "--squarecb",
            "--gamma_scale",
            str(config.gamma_scale),
            "--gamma_exponent",
            str(config.gamma_exponent),
        ]
    return args


class AdfLearner:
    """One VW ``cb_explore_adf`` model; not thread-safe (callers hold a lock)."""

    def __init__(self, args: Sequence[str], model: bytes | None = None) -> None:
        self.args = list(args)
        self._ws = vw.Workspace(self.args, model_data=model)
        self._parser = vw.TextFormatParser(self._ws)
        self._binding = getattr(self._ws, "_workspace", None)

    def _examples(
        self, shared: str, actions: Sequence[str], label: tuple[int, float, float] | None = None
    ) -> list[vw.Example]:
        lines = [f"shared {shared}"]
        for i, action in enumerate(actions):
            if label is not None and label[0] == i:
                lines.append(f"0:{label[1]:.6f}:{label[2]:.6f} {action}")
            else:
                lines.append(action)
        return [self._parser.parse_line(line) for line in lines]

    def parse_actions(self, actions: Sequence[str]) -> list[vw.Example]:
        """Parsed action lines, reusable across predictions (not for learning)."""
        return [self._parser.parse_line(action) for action in actions]

    def pmf(self, shared: str, actions: Sequence[str] | Sequence[vw.Example]) -> np.ndarray:
        """Exploration probabilities of the actions, in the order given."""
        if actions and isinstance(actions[0], str):
            examples = self._examples(shared, cast(Sequence[str], actions))
        else:
            examples = [
                self._parser.parse_line(f"shared {shared}"),
                *cast(Sequence[vw.Example], actions),
            ]
        scored = self._predict(examples)
        probs = np.zeros(len(actions), dtype=np.float64)
        for index, prob in scored:
            probs[index] = prob
        total = probs.sum()
        return probs / total if total > 0 else np.full(len(actions), 1.0 / len(actions))

    def _predict(self, examples: list[vw.Example]) -> list[tuple[int, float]]:
        """VW's action scores. The public ``predict_one`` first checks every example's label
        type through the binding, about 0.1 ms for 72 actions, a fifth of a plan choice;
        examples made by this workspace's own parser always pass it, so the binding's
        prediction is called directly when this version of the package exposes it."""
        if self._binding is not None:
            return cast(
                list[tuple[int, float]],
                self._binding.predict_multi_ex_one([ex._example for ex in examples]),
            )
        return cast(list[tuple[int, float]], self._ws.predict_one(examples))

    def learn(
        self, shared: str, actions: Sequence[str], chosen: int, cost: float, prob: float
    ) -> None:
        """Learn that action ``chosen``, logged with probability ``prob``, cost ``cost``."""
        if not 0 <= chosen < len(actions):
            raise ValueError(f"chosen action {chosen} is not among {len(actions)} actions")
        self._ws.learn_one(self._examples(shared, actions, (chosen, cost, prob)))

    def serialize(self) -> bytes:
        return bytes(self._ws.serialize())
