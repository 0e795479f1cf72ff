"""What listeners type for each kind of need: templates, descriptive needs, translations.

Templates use ``str.format`` slots: ``{title} {artist} {genre} {decade} {mood}
{topic} {subject} {show}``. Other-language templates let a Spanish, Portuguese,
German or French listener phrase a need in their own language ("rock de los 90",
"podcast sobre historia"), which a lexical index over English metadata cannot
match: that gap is part of what the measurement should see.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DescriptiveNeed:
    """A mood or activity need and the catalog facets that satisfy it.

    ``tags`` are activity tags ("rainy day", "study"); ``moods`` the moods that
    go with them. Relevance: playlists carrying a tag are the best answer, tracks
    carrying it next, anything in one of the moods partially.
    """

    name: str
    tags: tuple[str, ...]
    moods: tuple[str, ...]
    phrases: tuple[str, ...]
    translated: dict[str, tuple[str, ...]]


DESCRIPTIVE_NEEDS: tuple[DescriptiveNeed, ...] = (
    DescriptiveNeed(
        "rainy-day",
        ("rainy day",),
        ("melancholic",),
        ("songs for a rainy sunday", "rainy day music", "music for a grey afternoon"),
        {"es": ("canciones para un día de lluvia",), "de": ("musik für einen regentag",)},
    ),
    DescriptiveNeed(
        "study",
        ("study", "focus"),
        ("chill", "dreamy"),
        ("music for studying", "study music", "songs to focus on homework", "focus music"),
        {"es": ("música para estudiar",), "pt": ("música para estudar",)},
    ),
    DescriptiveNeed(
        "breakup",
        ("breakup",),
        ("sad",),
        ("sad songs after a breakup", "breakup songs", "songs for a broken heart"),
        {"es": ("canciones tristes de desamor",), "fr": ("chansons tristes de rupture",)},
    ),
    DescriptiveNeed(
        "workout",
        ("workout",),
        ("energetic", "angry"),
        ("workout music", "gym songs", "high energy songs for running"),
        {"es": ("música para entrenar",), "de": ("musik zum trainieren",)},
    ),
    DescriptiveNeed(
        "date-night",
        ("date night",),
        ("romantic", "sensual"),
        ("love songs for date night", "romantic songs", "songs for a romantic dinner"),
        {"es": ("canciones románticas",), "pt": ("músicas românticas",)},
    ),
    DescriptiveNeed(
        "sleep",
        ("sleep",),
        ("calm",),
        ("songs to fall asleep to", "calm music for sleeping", "sleep music"),
        {"es": ("música para dormir",), "fr": ("musique pour dormir",)},
    ),
    DescriptiveNeed(
        "late-night",
        ("late night",),
        ("dark",),
        ("late night drive songs", "music for after midnight", "late night vibes"),
        {"de": ("musik für die nacht",)},
    ),
    DescriptiveNeed(
        "party",
        ("party",),
        ("party",),
        ("party songs", "songs to start the weekend", "friday night party music"),
        {"es": ("música de fiesta",), "pt": ("músicas para festa",)},
    ),
    DescriptiveNeed(
        "feel-good",
        ("feel good",),
        ("happy",),
        ("happy upbeat songs", "feel good music", "songs that make you happy"),
        {"es": ("canciones alegres",), "fr": ("chansons joyeuses",)},
    ),
    DescriptiveNeed(
        "morning",
        ("morning",),
        ("uplifting", "calm"),
        ("sunday morning songs", "morning motivation music", "songs to wake up to"),
        {"es": ("música para la mañana",)},
    ),
    DescriptiveNeed(
        "throwback",
        ("throwback",),
        ("nostalgic",),
        ("throwback songs", "nostalgic old songs", "songs from when we were young"),
        {"pt": ("músicas nostálgicas",)},
    ),
    DescriptiveNeed(
        "relax",
        ("relax", "coffee"),
        ("peaceful", "chill"),
        ("relaxing music", "coffee shop music", "mellow songs to unwind"),
        {"de": ("entspannte musik",), "fr": ("musique relaxante",)},
    ),
    DescriptiveNeed(
        "road-trip",
        ("road trip", "summer"),
        ("happy",),
        ("road trip songs", "summer driving music", "songs for a long drive"),
        {"es": ("canciones para viajar en carretera",)},
    ),
)

TRACK_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{title}", 0.30),
    ("{title} {artist}", 0.20),
    ("{artist} {title}", 0.10),
    ("{title} by {artist}", 0.08),
    ("{partial}", 0.15),
    ("{partial} {artist_first}", 0.05),
    ("{artist}", 0.04),
    ("{title} lyrics", 0.03),
    ("{title} song", 0.05),
)
"""How a listener looks for one song, with relative frequencies."""

ALBUM_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{title}", 0.4),
    ("{title} {artist}", 0.3),
    ("{artist} {title} album", 0.15),
    ("{partial}", 0.15),
)
ARTIST_TEMPLATES: tuple[tuple[str, float], ...] = (("{title}", 0.85), ("{partial}", 0.15))
PLAYLIST_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{title}", 0.7),
    ("{partial}", 0.2),
    ("{title} playlist", 0.1),
)
SHOW_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{title}", 0.6),
    ("{title} podcast", 0.3),
    ("{partial}", 0.1),
)
EPISODE_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{title}", 0.5),
    ("{show} {title}", 0.2),
    ("{partial}", 0.2),
    ("{title} {show}", 0.1),
)

TRANSLATED_TRACK: dict[str, str] = {
    "es": "{title} de {artist}",
    "pt": "{title} de {artist}",
    "fr": "{title} de {artist}",
    "de": "{title} von {artist}",
    "it": "{title} di {artist}",
}
"""'song by artist' in other languages."""

ATTRIBUTE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "genre+decade": (
        "{decade} {genre}",
        "{decade} {genre}",
        "{genre} {decade}",
        "{genre} from the {decade}",
        "best {decade} {genre} songs",
    ),
    "genre": ("{genre}", "{genre} music", "{genre} songs", "best {genre}"),
    "genre+mood": ("{mood} {genre}", "{mood} {genre} songs", "{genre} {mood}"),
    "playlist": ("{genre} playlist", "{genre} mix", "best {genre} playlist"),
    "podcast": ("{topic} podcast", "{topic} podcasts", "best {topic} podcast", "podcast {topic}"),
}
"""Attribute needs by slot combination ("90s rock", "true crime podcast")."""

TRANSLATED_ATTRIBUTE: dict[str, dict[str, str]] = {
    "genre+decade": {
        "es": "{genre} de los {decade_number}",
        "pt": "{genre} anos {decade_number}",
        "de": "{genre} der {decade_number}er",
        "fr": "{genre} des années {decade_number}",
        "it": "{genre} anni {decade_number}",
    },
    "genre": {"es": "música {genre}", "pt": "música {genre}", "de": "{genre} musik"},
    "playlist": {"es": "lista de {genre}", "pt": "playlist de {genre}"},
    "podcast": {
        "es": "podcast de {topic}",
        "pt": "podcast de {topic}",
        "de": "{topic} podcast",
        "fr": "podcast {topic}",
    },
}

TOPIC_NAMES: dict[str, dict[str, str]] = {
    "true crime": {"es": "crímenes reales", "pt": "crimes reais", "fr": "faits divers"},
    "history": {"es": "historia", "pt": "história", "de": "geschichte", "fr": "histoire"},
    "comedy": {"es": "humor", "pt": "humor", "fr": "humour"},
    "science": {"es": "ciencia", "pt": "ciência", "de": "wissenschaft", "fr": "sciences"},
    "business": {"es": "negocios", "pt": "negócios", "de": "wirtschaft", "fr": "économie"},
    "sports": {"es": "deportes", "pt": "esportes", "de": "sport", "fr": "sport"},
    "technology": {"es": "tecnología", "pt": "tecnologia", "de": "technik"},
    "health": {"es": "salud", "pt": "saúde", "de": "gesundheit", "fr": "santé"},
    "news": {"es": "noticias", "pt": "notícias", "de": "nachrichten", "fr": "actualité"},
}
"""Podcast topics as a listener would name them in their language (simulator-owned)."""

SUBJECT_TEMPLATES: tuple[str, ...] = (
    "podcast about {subject}",
    "{subject} podcast",
    "{subject}",
    "episodes about {subject}",
)
TRANSLATED_SUBJECT: dict[str, str] = {
    "es": "podcast sobre {subject}",
    "pt": "podcast sobre {subject}",
    "de": "podcast über {subject}",
    "fr": "podcast sur {subject}",
}

RELATED_ARTIST_TEMPLATES: tuple[str, ...] = (
    "{artist} songs",
    "songs by {artist}",
    "{artist} best songs",
    "{artist} top tracks",
    "{artist} hits",
)
RELATED_SHOW_TEMPLATES: tuple[str, ...] = (
    "{show} episodes",
    "{show} latest episode",
    "episodes of {show}",
    "{show} podcast episodes",
)
TRANSLATED_RELATED: dict[str, str] = {
    "es": "canciones de {artist}",
    "pt": "músicas de {artist}",
    "de": "lieder von {artist}",
    "fr": "chansons de {artist}",
    "it": "canzoni di {artist}",
}
