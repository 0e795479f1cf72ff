"""Latent intents and their graded ground truth.

An intent is what a listener wants before they type anything; the service never
sees it. Four kinds cover the queries a music and podcast search serves
(see ARCHITECTURE.md, "Typical queries"):

* **spearfish** — one specific entity ("bohemian rhapsody", "tayler love");
* **attribute** — a combination of facets ("90s rock", "true crime podcast");
* **descriptive** — a mood, activity or subject ("songs for a rainy sunday",
  "podcast about the roman empire");
* **related** — everything around an anchor entity ("queen songs", a show's episodes).

Relevance is graded 0-3 as in TREC-style graded judgments (Järvelin & Kekäläinen
2002, cumulated gain): 3 is what the listener came for, 2 and 1 partially satisfy
them. ``GroundTruth.targets`` are the entities at the best grade available, so
"success" means an intended entity was shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from catalog.model import EntityType
from simulator.phrases import DESCRIPTIVE_NEEDS, DescriptiveNeed
from simulator.world import CatalogWorld, base_title, decades_of


class IntentType(StrEnum):
    SPEARFISH = "spearfish"
    ATTRIBUTE = "attribute"
    DESCRIPTIVE = "descriptive"
    RELATED = "related"


MUSIC_TYPES = frozenset({EntityType.TRACK, EntityType.PLAYLIST})
"""What a music attribute need ("90s rock") is best answered with."""

NEEDS_BY_NAME: dict[str, DescriptiveNeed] = {need.name: need for need in DESCRIPTIVE_NEEDS}

RELATED_PER_ANCHOR = 5
"""Partially relevant neighbours kept per spearfish target (top tracks, top episodes)."""


@dataclass(frozen=True, slots=True)
class Intent:
    """A latent need. ``slots`` carry what query formulation needs (genre, decade, subject...).

    ``target`` is the intended entity (spearfish) or the anchor (related: an
    artist or show id). ``key`` identifies the intent: listeners with the same
    key want the same thing, which is what makes head queries learnable.
    """

    key: str
    type: IntentType
    slots: tuple[tuple[str, str], ...] = ()
    target: str | None = None

    def slot(self, name: str) -> str | None:
        return dict(self.slots).get(name)


@dataclass(frozen=True)
class GroundTruth:
    """Graded relevance of entities for one intent (grade ≥ 1; absent means 0)."""

    grades: Mapping[str, int]

    @cached_property
    def max_grade(self) -> int:
        return max(self.grades.values(), default=0)

    @cached_property
    def targets(self) -> frozenset[str]:
        """The intended entities: those at the best grade this catalog offers."""
        best = self.max_grade
        return frozenset(eid for eid, grade in self.grades.items() if grade == best and best > 0)

    def grade(self, entity_id: str) -> int:
        return self.grades.get(entity_id, 0)

    def ideal(self, k: int) -> list[tuple[str, int]]:
        """The ``k`` best-graded entities (ties by id): enough to compute IDCG@k exactly."""
        ranked = sorted(self.grades.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:k]

    def __bool__(self) -> bool:
        return bool(self.targets)


def _grade_all(grades: dict[str, int], ids: Iterable[str], grade: int) -> None:
    """Raise entities to ``grade`` (an entity keeps its best grade)."""
    for eid in ids:
        if grades.get(eid, 0) < grade:
            grades[eid] = grade


def spearfish_truth(world: CatalogWorld, target: str) -> GroundTruth:
    """3: the entity; 2: other versions of it; 1: its artist/show/album and top siblings."""
    entity = world.get(target)
    grades: dict[str, int] = {}
    kind = entity.type
    if kind in (EntityType.TRACK, EntityType.ALBUM):
        song = base_title(entity.title).casefold()
        primary = entity.artist_ids[0] if entity.artist_ids else None
        if primary is not None:
            versions = [
                eid
                for eid in world.credited(primary)
                if world.get(eid).type is kind
                and base_title(world.get(eid).title).casefold() == song
            ]
            _grade_all(grades, versions, 2)
            if primary in world.entities:
                _grade_all(grades, [primary], 1)
        if kind is EntityType.TRACK and entity.album_id in world.entities:
            _grade_all(grades, [str(entity.album_id)], 1)
    elif kind is EntityType.ARTIST:
        tracks = [eid for eid in world.credited(target) if world.get(eid).type is EntityType.TRACK]
        _grade_all(grades, tracks[:RELATED_PER_ANCHOR], 1)
    elif kind is EntityType.SHOW:
        _grade_all(grades, world.episodes(target)[:RELATED_PER_ANCHOR], 1)
    elif kind is EntityType.EPISODE and entity.show_id in world.entities:
        _grade_all(grades, [str(entity.show_id)], 1)
    grades[target] = 3
    return GroundTruth(grades)


def attribute_truth(
    world: CatalogWorld,
    types: frozenset[EntityType],
    facets: Mapping[str, str],
) -> GroundTruth:
    """3: right type, every facet; 2: every facet, other type; 1: right type, all facets but one.

    ``facets`` maps ``genre``/``mood``/``decade`` to a value.
    """
    index = {"genre": world.by_genre, "mood": world.by_mood, "decade": world.by_decade}
    sets = [index[name].get(value, frozenset()) for name, value in facets.items()]
    if not sets:
        return GroundTruth({})
    grades: dict[str, int] = {}
    full = frozenset.intersection(*sets)
    for eid in full:
        grades[eid] = 3 if world.get(eid).type in types else 2
    if len(sets) >= 2:
        for skip in range(len(sets)):
            rest = frozenset.intersection(*(s for i, s in enumerate(sets) if i != skip))
            _grade_all(grades, (eid for eid in rest if world.get(eid).type in types), 1)
    return GroundTruth(grades)


def descriptive_truth(world: CatalogWorld, need: DescriptiveNeed) -> GroundTruth:
    """3: playlists with the activity tag; 2: tracks with it; 1: music in one of its moods."""
    grades: dict[str, int] = {}
    tagged = frozenset().union(*(world.by_tag.get(tag, frozenset()) for tag in need.tags))
    moody = frozenset().union(*(world.by_mood.get(mood, frozenset()) for mood in need.moods))
    music = {EntityType.TRACK, EntityType.PLAYLIST, EntityType.ALBUM}
    _grade_all(grades, (eid for eid in moody if world.get(eid).type in music), 1)
    _grade_all(grades, (eid for eid in tagged if world.get(eid).type is EntityType.TRACK), 2)
    _grade_all(grades, (eid for eid in tagged if world.get(eid).type is EntityType.PLAYLIST), 3)
    return GroundTruth(grades)


def subject_truth(world: CatalogWorld, topic: str, subject: str) -> GroundTruth:
    """3: episodes titled after the subject; 2: episodes or shows describing it; 1: same topic."""
    needle = subject.casefold()
    grades: dict[str, int] = {}
    podcast = (EntityType.SHOW, EntityType.EPISODE)
    for eid in world.by_genre.get(topic, frozenset()):
        entity = world.get(eid)
        if entity.type not in podcast:
            continue
        if entity.type is EntityType.EPISODE and needle in entity.title.casefold():
            grades[eid] = 3
        elif needle in (entity.description or "").casefold():
            grades[eid] = 2
        else:
            grades[eid] = 1
    return GroundTruth(grades)


def related_truth(world: CatalogWorld, anchor: str) -> GroundTruth:
    """Artist: 3 its tracks, 2 its albums and page, 1 playlists featuring it.
    Show: 3 its episodes, 2 the show, 1 other shows of its topic."""
    entity = world.get(anchor)
    grades: dict[str, int] = {}
    if entity.type is EntityType.ARTIST:
        credited = world.credited(anchor)
        by_type = {eid: world.get(eid).type for eid in credited}
        _grade_all(grades, (e for e, t in by_type.items() if t is EntityType.PLAYLIST), 1)
        _grade_all(grades, (e for e, t in by_type.items() if t is EntityType.ALBUM), 2)
        _grade_all(grades, [anchor], 2)
        _grade_all(grades, (e for e, t in by_type.items() if t is EntityType.TRACK), 3)
    elif entity.type is EntityType.SHOW:
        for genre in entity.genres:
            _grade_all(grades, world.of_type_genre(EntityType.SHOW, genre), 1)
        _grade_all(grades, [anchor], 2)
        _grade_all(grades, world.episodes(anchor), 3)
    return GroundTruth(grades)


def ground_truth(world: CatalogWorld, intent: Intent) -> GroundTruth:
    """The graded judgments of an intent over the simulator's catalog."""
    if intent.type is IntentType.SPEARFISH and intent.target is not None:
        return spearfish_truth(world, intent.target)
    if intent.type is IntentType.RELATED and intent.target is not None:
        return related_truth(world, intent.target)
    if intent.type is IntentType.ATTRIBUTE:
        types = frozenset(EntityType(t) for t in (intent.slot("types") or "").split(",") if t)
        facets = {
            name: value
            for name in ("genre", "mood", "decade")
            if (value := intent.slot(name)) is not None
        }
        return attribute_truth(world, types, facets)
    if intent.type is IntentType.DESCRIPTIVE:
        need = intent.slot("need")
        if need is not None:
            return descriptive_truth(world, NEEDS_BY_NAME[need])
        topic, subject = intent.slot("topic"), intent.slot("subject")
        if topic is not None and subject is not None:
            return subject_truth(world, topic, subject)
    raise ValueError(f"intent {intent.key!r} of type {intent.type} lacks the slots it needs")


def decades_in(world: CatalogWorld, ids: Iterable[str]) -> dict[str, int]:
    """How many of the entities fall in each decade (for picking realistic decade needs)."""
    counts: dict[str, int] = {}
    for eid in ids:
        for decade in decades_of(world.get(eid)):
            counts[decade] = counts.get(decade, 0) + 1
    return counts
