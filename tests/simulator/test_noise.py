"""Each noise operation makes exactly the change it names."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.noise import (
    KEYBOARD_NEIGHBOURS,
    PHONETIC_CONFUSIONS,
    NoiseConfig,
    NoiseModel,
    adjacent_substitution,
    doubled_letter,
    dropped_letter,
    dropped_word,
    lowercase,
    phonetic_confusion,
    strip_accents,
    transposition,
)

ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP   éüñçØ0123'&-"))
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=40)
seeds = st.integers(min_value=0, max_value=2**32)


def _differences(a: str, b: str) -> list[int]:
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


def test_keyboard_neighbours_are_symmetric_and_plausible() -> None:
    assert KEYBOARD_NEIGHBOURS["s"] == "adewxz"
    assert set(KEYBOARD_NEIGHBOURS["q"]) == {"w", "a"}
    for key, near in KEYBOARD_NEIGHBOURS.items():
        assert key not in near
        for other in near:
            assert key in KEYBOARD_NEIGHBOURS[other]


@given(texts, seeds)
def test_adjacent_substitution_replaces_one_letter_with_a_neighbour(text: str, seed: int) -> None:
    out = adjacent_substitution(text, random.Random(seed))
    assert len(out) == len(text)
    diffs = _differences(text, out)
    if any(ch.lower() in KEYBOARD_NEIGHBOURS for ch in text):
        assert len(diffs) == 1
        (i,) = diffs
        assert out[i].lower() in KEYBOARD_NEIGHBOURS[text[i].lower()]
        assert out[i].isupper() == text[i].isupper()
    else:
        assert out == text


@given(texts, seeds)
def test_dropped_letter_deletes_one_letter_of_a_longer_word(text: str, seed: int) -> None:
    out = dropped_letter(text, random.Random(seed))
    if all(len(word) < 3 for word in _alpha_runs(text)):
        assert out == text
        return
    assert len(out) == len(text) - 1
    assert any(text[j].isalpha() and out == text[:j] + text[j + 1 :] for j in range(len(text)))


@given(texts, seeds)
def test_doubled_letter_types_one_letter_twice(text: str, seed: int) -> None:
    out = doubled_letter(text, random.Random(seed))
    if not any(ch.isalpha() for ch in text):
        assert out == text
        return
    assert len(out) == len(text) + 1
    assert any(
        text[i].isalpha() and out == text[: i + 1] + text[i] + text[i + 1 :]
        for i in range(len(text))
    )


@given(texts, seeds)
def test_transposition_swaps_two_adjacent_letters(text: str, seed: int) -> None:
    out = transposition(text, random.Random(seed))
    assert sorted(out) == sorted(text)
    diffs = _differences(text, out)
    if out == text:
        return
    assert len(diffs) == 2
    assert diffs[1] == diffs[0] + 1
    i = diffs[0]
    assert (out[i], out[i + 1]) == (text[i + 1], text[i])
    assert text[i].isalpha()
    assert text[i + 1].isalpha()


@given(st.text(alphabet=st.sampled_from(list("phoenixckqueenswiftyll ")), max_size=30), seeds)
def test_phonetic_confusion_respells_one_sound(text: str, seed: int) -> None:
    out = phonetic_confusion(text, random.Random(seed))
    lower = text.lower()
    candidates = {
        text[:start] + typed + text[start + len(written) :]
        for written, typed in PHONETIC_CONFUSIONS
        for start in range(len(text))
        if lower.startswith(written, start)
    }
    if candidates:
        assert out in candidates
    else:
        assert out == text


def test_phonetic_confusion_examples() -> None:
    outcomes = {phonetic_confusion("phoenix", random.Random(seed)) for seed in range(200)}
    assert "foenix" in outcomes
    assert "phoeniks" in outcomes


@given(st.lists(st.sampled_from(["love", "story", "by", "taylor", "swift"]), max_size=6), seeds)
def test_dropped_word_leaves_out_one_word_but_the_first(words: list[str], seed: int) -> None:
    text = " ".join(words)
    out = dropped_word(text, random.Random(seed))
    if len(words) < 3:
        assert out == text
        return
    kept = out.split()
    assert len(kept) == len(words) - 1
    assert kept[0] == words[0]
    assert any(kept == words[:i] + words[i + 1 :] for i in range(1, len(words)))


@given(texts)
def test_lowercase_and_strip_accents_are_idempotent(text: str) -> None:
    assert lowercase(text) == text.lower() == lowercase(lowercase(text))
    stripped = strip_accents(text)
    assert strip_accents(stripped) == stripped
    assert not any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFKD", stripped))
    assert strip_accents("Beyoncé Ñandú") == "Beyonce Nandu"


@settings(max_examples=60)
@given(texts.filter(str.strip), seeds)
def test_noise_model_is_deterministic_and_reports_its_changes(text: str, seed: int) -> None:
    model = NoiseModel(NoiseConfig(misspelling=0.8, word_drop=0.3))
    first = model.apply(text, random.Random(seed))
    assert first == model.apply(text, random.Random(seed))
    out, applied = first
    if out != text:
        assert applied


def test_noise_model_rejects_unknown_operations() -> None:
    with pytest.raises(ValueError, match=r"unknown typo operations \['fat_finger'\]"):
        NoiseModel(NoiseConfig(typo_weights={"fat_finger": 1.0}))


def _alpha_runs(text: str) -> list[str]:
    runs, current = [], ""
    for ch in text:
        if ch.isalpha():
            current += ch
        else:
            if current:
                runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs
