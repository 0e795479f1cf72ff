import pytest

from retrievers.normalize import normalize_query, query_tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bohemian Rhapsody", "bohemian rhapsody"),
        ("  tayler   SWIFT ", "tayler swift"),
        ("Beyoncé", "beyonce"),
        ("Love Story (Taylor's Version)", "love story taylors version"),
        ("don\u2019t stop me now!", "dont stop me now"),
        ("AC/DC", "ac dc"),
        ("\uff46\uff55\uff4c\uff4c", "full"),
        ("Straße", "strasse"),
        ("東京事変", "東京事変"),
        ("привет, мир", "привет мир"),
        ("rock_n_roll", "rock n roll"),
        ("'quoted'", "quoted"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalize_query(raw: str, expected: str) -> None:
    assert normalize_query(raw) == expected


def test_normalization_is_idempotent() -> None:
    for raw in ["Beyoncé — Halo", "Taylor's Version", "90s ROCK", "ÆON  flux"]:
        once = normalize_query(raw)
        assert normalize_query(once) == once


def test_query_tokens() -> None:
    assert query_tokens("Songs for a Rainy-Sunday") == ["songs", "for", "a", "rainy", "sunday"]
