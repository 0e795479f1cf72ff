"""The text encoder: entity texts, backends against the PyTorch reference, the query cache."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from catalog.model import Entity, EntityType
from retrievers.embedding import (
    DIMENSION,
    EmbeddingConfig,
    Encoder,
    entity_text,
    export_path,
    onnx_available,
)

needs_onnx = pytest.mark.skipif(not onnx_available(), reason="onnxruntime/onnx not installed")


def _by_id(entities: list[Entity], entity_id: str) -> Entity:
    return next(e for e in entities if e.id == entity_id)


def _assert_same_directions(actual: np.ndarray, expected: np.ndarray) -> None:
    """Row cosines near 1. Dynamic int8 quantization scales activations per batch, so
    a text's vector moves slightly with its batch-mates (measured: cosine 0.987-0.995);
    the fp32 backends give equal vectors."""
    assert actual.shape == expected.shape
    cosines = np.sum(actual * expected, axis=1)
    assert cosines.mean() > 0.99
    assert cosines.min() > 0.98


# -- entity texts ---------------------------------------------------------------------


def test_entity_text_leads_with_type_title_and_credits(fixture_entities: list[Entity]) -> None:
    text = entity_text(_by_id(fixture_entities, "fx:track:bohemian-rhapsody-queen"))
    assert text.startswith("song: Bohemian Rhapsody. by Queen. album: A Night at the Opera. ")
    assert "genres: rock" in text
    assert "moods: epic" in text
    assert text.endswith("1970s")


@pytest.mark.parametrize(
    ("entity_type", "prefix"),
    [
        (EntityType.TRACK, "song: "),
        (EntityType.ARTIST, "artist: "),
        (EntityType.ALBUM, "album: "),
        (EntityType.PLAYLIST, "playlist: "),
        (EntityType.SHOW, "podcast: "),
        (EntityType.EPISODE, "podcast episode: "),
    ],
)
def test_entity_text_names_the_type_as_listeners_do(
    fixture_entities: list[Entity], entity_type: EntityType, prefix: str
) -> None:
    entity = next(e for e in fixture_entities if e.type is entity_type)
    assert entity_text(entity).startswith(prefix + entity.title)


def test_entity_text_clips_long_descriptions_and_lists() -> None:
    entity = Entity(
        id="t:1",
        type=EntityType.SHOW,
        title="Long Show",
        tags=[f"tag{n}" for n in range(20)],
        description="word " * 2000,
    )
    text = entity_text(entity)
    assert "tag4" in text
    assert "tag5" not in text
    assert len(text) < 400
    assert not text.endswith(" ")
    assert text.endswith("word")


def test_artist_entities_do_not_repeat_their_own_name() -> None:
    artist = Entity(id="a:1", type=EntityType.ARTIST, title="Nujabes", artists=["Nujabes"])
    assert entity_text(artist) == "artist: Nujabes"


# -- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "tensorflow"}, "backend"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_seq_length": 512}, "max_seq_length"),
        ({"query_cache_size": -1}, "query_cache_size"),
        ({"threads": 0}, "threads"),
        ({"model": "bert"}, "Extra inputs are not permitted"),
    ],
)
def test_config_rejects_bad_values(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        EmbeddingConfig(**kwargs)


def test_onnx_backends_need_an_export_dir() -> None:
    with pytest.raises(ValueError, match="needs an export_dir"):
        Encoder(EmbeddingConfig(backend="onnx-int8"))


def test_auto_prefers_int8_onnx_when_available(encoder: Encoder) -> None:
    assert encoder.backend == ("onnx-int8" if onnx_available() else "torch")
    assert encoder.fingerprint == f"all-MiniLM-L6-v2/{encoder.backend}/128"


# -- vectors --------------------------------------------------------------------------


def test_vectors_are_unit_float32(encoder: Encoder, fixture_entities: list[Entity]) -> None:
    vectors = encoder.encode_entities(fixture_entities[:20], batch_size=8)
    queries = encoder.encode_queries(["bohemian rhapsody", "songs for a rainy sunday"])
    for block, rows in ((vectors, 20), (queries, 2)):
        assert block.shape == (rows, DIMENSION)
        assert block.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(block, axis=1), 1.0, atol=1e-4)
    assert encoder.encode_queries([]).shape == (0, DIMENSION)


def test_entity_vectors_do_not_depend_on_batching(
    encoder: Encoder, fixture_entities: list[Entity]
) -> None:
    entities = fixture_entities[:24]
    together = encoder.encode_entities(entities, batch_size=24)
    apart = np.vstack([encoder.encode_entities([e]) for e in entities[:6]])
    _assert_same_directions(apart, together[:6])


def test_progress_reports_entities_encoded_so_far(
    encoder: Encoder, fixture_entities: list[Entity]
) -> None:
    seen: list[int] = []
    vectors = encoder.encode_entities(fixture_entities[:40], batch_size=2, on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 40
    assert len(seen) > 1
    _assert_same_directions(vectors, encoder.encode_entities(fixture_entities[:40]))


@needs_onnx
def test_onnx_exports_match_the_pytorch_reference(
    encoder: Encoder, model_export_dir: Path, fixture_entities: list[Entity]
) -> None:
    """fp32 ONNX is the same function; int8 stays within a cosine of 0.97 (0.99 on average)."""
    texts = [entity_text(e) for e in fixture_entities[::10]]
    texts += ["bohemian rhapsody", "songs for a rainy sunday", "tayler swfit", "夜に駆ける"]
    reference = Encoder(EmbeddingConfig(backend="torch")).encode_texts(texts)
    fp32 = Encoder(EmbeddingConfig(backend="onnx"), export_dir=model_export_dir)
    int8 = Encoder(EmbeddingConfig(backend="onnx-int8"), export_dir=model_export_dir)
    exact = np.sum(fp32.encode_texts(texts) * reference, axis=1)
    assert exact.min() > 0.9999
    single = fp32.encode_texts(texts[-1:])  # one text, no padding at all
    assert float(single[0] @ reference[-1]) > 0.9999
    quantized = np.sum(int8.encode_texts(texts) * reference, axis=1)
    assert quantized.mean() > 0.99
    assert quantized.min() > 0.97
    assert export_path(model_export_dir, quantized=True).exists()


# -- the query cache ------------------------------------------------------------------


def test_cached_queries_return_identical_vectors(model_export_dir: Path) -> None:
    config = EmbeddingConfig(query_cache_size=2)
    encoder = Encoder(config, export_dir=model_export_dir if onnx_available() else None)
    first = encoder.encode_queries(["love songs", "90s rock"])
    again = encoder.encode_queries(["90s rock", "love songs"])
    assert np.array_equal(first[0], again[1])
    assert np.array_equal(first[1], again[0])
    info = encoder.cache_info()
    assert (info.hits, info.misses, info.size, info.capacity) == (2, 2, 2, 2)

    again[0] += 1.0  # callers get copies: the cache is not changed through them
    assert np.array_equal(encoder.encode_queries(["90s rock"])[0], first[1])

    encoder.encode_queries(["jazz for studying"])  # evicts the least recently used
    assert encoder.cache_info().size == 2
    encoder.encode_queries(["love songs"])
    assert encoder.cache_info().misses == 4


def test_duplicate_queries_in_one_call_are_encoded_once(encoder: Encoder) -> None:
    before = encoder.cache_info().misses
    vectors = encoder.encode_queries(["a query seen twice here", "a query seen twice here"])
    assert np.array_equal(vectors[0], vectors[1])
    assert encoder.cache_info().misses == before + 1


def test_cache_can_be_switched_off(model_export_dir: Path) -> None:
    config = EmbeddingConfig(query_cache_size=0)
    encoder = Encoder(config, export_dir=model_export_dir if onnx_available() else None)
    vectors = encoder.encode_queries(["love songs", "love songs"])
    assert np.allclose(vectors[0], vectors[1])
    assert encoder.cache_info().size == 0


def test_concurrent_encoding_matches_serial(encoder: Encoder) -> None:
    texts = [f"query number {n} about jazz" for n in range(24)]
    serial = encoder.encode_texts(texts)
    barrier = threading.Barrier(4)

    def work(offset: int) -> np.ndarray:
        barrier.wait()
        return encoder.encode_queries(texts[offset::4])

    with ThreadPoolExecutor(4) as pool:
        blocks = list(pool.map(work, range(4)))
    for offset, block in enumerate(blocks):
        _assert_same_directions(block, serial[offset::4])
