"""Music vocabulary of the synthetic catalog: genres and moods, classical works,
versions and editions, labels, playlists.

Order matters where noted: single-word titles and phrases are drawn Zipf-weighted by
position, so the first entries collide the most, as they do in real catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from catalog.wordlists import weighted, words

DEFAULT_GENRES: Final = weighted(
    """rock:16 | pop:17 | hip hop:15 | electronic:9 | r&b:7 | country:6 | jazz:4 | classical:3
    metal:5 | folk:6 | reggae:2 | blues:3 | latin:2"""
)


@dataclass(frozen=True, slots=True)
class Genre:
    """A parent genre: its sub-genres with the years they existed, and how it sounds."""

    subs: tuple[tuple[str, int, int], ...]  # (sub-genre, first year, last year)
    moods: tuple[str, ...]  # most typical first
    explicit: float  # share of explicit tracks
    minutes: float  # mean track length
    feature: float  # share of tracks featuring a second artist
    kinds: tuple[str, ...]  # artist kinds, drawn uniformly


def _g(subs: str, moods: str, stats: tuple[float, float, float], kinds: str) -> Genre:
    """Parse "sub:from-to" items so the taxonomy below stays one line per genre."""
    parsed = []
    for item in words(subs):
        name, years = item.split(":")
        first, last = years.split("-")
        parsed.append((name, int(first), int(last)))
    explicit, minutes, feature = stats
    return Genre(tuple(parsed), words(moods), explicit, minutes, feature, words(kinds))


GENRES: Final[dict[str, Genre]] = {
    "rock": _g(
        "indie rock:1985-2025 | alternative rock:1985-2025 | classic rock:1960-1985 | "
        "punk rock:1975-2010 | hard rock:1968-2000 | garage rock:1960-2025 | "
        "psychedelic rock:1965-1975",
        "energetic | nostalgic | melancholic | uplifting | dark | happy",
        (0.08, 4.1, 0.03),
        "band | band | band | singer-songwriter",
    ),
    "pop": _g(
        "dance pop:1980-2025 | synth-pop:1978-2025 | indie pop:1990-2025 | teen pop:1995-2015 | "
        "electropop:2005-2025 | pop ballad:1960-2025",
        "happy | romantic | uplifting | energetic | sad | party",
        (0.1, 3.4, 0.15),
        "singer | singer | singer-songwriter | band | duo",
    ),
    "hip hop": _g(
        "trap:2008-2025 | boom bap:1986-2000 | conscious hip hop:1988-2025 | "
        "gangsta rap:1988-2005 | lo-fi hip hop:2014-2025 | drill:2014-2025",
        "energetic | dark | party | chill | angry | confident",
        (0.55, 3.3, 0.28),
        "rapper | rapper | rapper | producer | collective",
    ),
    "electronic": _g(
        "house:1985-2025 | techno:1988-2025 | trance:1992-2012 | drum and bass:1993-2025 | "
        "dubstep:2006-2020 | ambient:1978-2025 | deep house:2000-2025",
        "energetic | party | chill | dreamy | dark | calm",
        (0.04, 5.2, 0.22),
        "dj | dj | producer | duo",
    ),
    "r&b": _g(
        "soul:1958-1980 | neo soul:1995-2025 | contemporary r&b:1990-2025 | funk:1965-1985 | "
        "motown:1959-1975",
        "romantic | chill | sad | groovy | happy | sensual",
        (0.18, 3.8, 0.18),
        "singer | singer | group",
    ),
    "country": _g(
        "country pop:1990-2025 | bluegrass:1950-2025 | outlaw country:1970-1985 | "
        "americana:1995-2025 | honky tonk:1950-1970",
        "nostalgic | happy | sad | romantic | uplifting",
        (0.03, 3.6, 0.06),
        "singer | singer-songwriter | band",
    ),
    "jazz": _g(
        "bebop:1950-1965 | smooth jazz:1978-2010 | cool jazz:1950-1965 | jazz fusion:1969-1990 | "
        "vocal jazz:1950-2025 | modern jazz:1990-2025",
        "chill | calm | romantic | melancholic | groovy",
        (0.0, 5.3, 0.05),
        "trio | quartet | singer | bandleader",
    ),
    "classical": _g(
        "baroque:1950-2025 | romantic era:1950-2025 | opera:1950-2025 | "
        "contemporary classical:1970-2025 | chamber music:1950-2025",
        "calm | melancholic | peaceful | romantic | dramatic",
        (0.0, 6.0, 0.0),
        "orchestra | ensemble | pianist | violinist",
    ),
    "metal": _g(
        "heavy metal:1970-2025 | death metal:1985-2025 | black metal:1990-2025 | "
        "thrash metal:1982-2000 | metalcore:2000-2025 | doom metal:1985-2025",
        "dark | angry | energetic | intense",
        (0.25, 4.9, 0.03),
        "band",
    ),
    "folk": _g(
        "indie folk:2000-2025 | singer-songwriter:1960-2025 | folk rock:1964-1980 | "
        "celtic:1970-2025",
        "calm | melancholic | nostalgic | uplifting | peaceful",
        (0.02, 3.9, 0.04),
        "singer-songwriter | band | duo",
    ),
    "reggae": _g(
        "roots reggae:1968-1990 | dancehall:1980-2025 | dub:1970-2000 | ska:1960-2000",
        "chill | happy | uplifting | groovy",
        (0.08, 4.0, 0.15),
        "singer | band",
    ),
    "blues": _g(
        "delta blues:1950-1965 | chicago blues:1950-1975 | electric blues:1955-2025 | "
        "blues rock:1965-2025",
        "melancholic | sad | groovy | nostalgic",
        (0.02, 4.4, 0.04),
        "singer | band | guitarist",
    ),
    "latin": _g(
        "reggaeton:2000-2025 | salsa:1965-2025 | bachata:1985-2025 | bossa nova:1958-1975 | "
        "latin pop:1990-2025 | cumbia:1960-2025 | mpb:1966-2025",
        "party | romantic | happy | energetic | sensual",
        (0.2, 3.5, 0.3),
        "singer | singer | band | duo",
    ),
    "k-pop": _g(
        "k-pop girl group:2007-2025 | k-pop boy group:2000-2025 | k-ballad:1995-2025",
        "energetic | happy | romantic | party | sad",
        (0.03, 3.3, 0.06),
        "group | group | group | singer",
    ),
    "j-pop": _g(
        "city pop:1977-1990 | anime:1990-2025 | j-rock:1990-2025 | idol pop:2005-2025",
        "happy | energetic | nostalgic | melancholic",
        (0.01, 4.0, 0.05),
        "singer | band | group",
    ),
}

GENRE_LABELS: Final = {"r&b": "R&B", "k-pop": "K-Pop", "j-pop": "J-Pop", "mpb": "MPB"}
"""Display names that ``str.title`` gets wrong."""

MOOD_TAGS: Final = {
    "happy": "feel good", "sad": "breakup", "melancholic": "rainy day", "chill": "study",
    "energetic": "workout", "romantic": "date night", "calm": "sleep", "dark": "late night",
    "uplifting": "morning", "party": "party", "angry": "workout", "nostalgic": "throwback",
    "dreamy": "focus", "groovy": "dance", "peaceful": "relax", "intense": "gaming",
    "sensual": "date night", "confident": "hype", "dramatic": "cinematic",
}  # fmt: skip
"""The activity tag a mood suggests ("chill" tracks get tagged "study")."""

STAGE_WORDS: Final = words("""
    Nova | Blaze | Saint | Ghost | Kash | Rico | Flex | Smoke | Phantom | Jay | Ice | Storm
    Zane | Vibe | Echo | Onyx | Kid | Prince | Duke | Remy | Sol | Ace | Nyx | Juno | Milo
""")
STAGE_PATTERNS: Final = words("""
    Lil {w} | Young {w} | MC {w} | DJ {w} | {w} | {w} {w2} | {w} & {w2} | {f} {w} | {w}{w2}
""")
CLASSICAL_ENSEMBLES: Final = words("""
    Symphony Orchestra | Chamber Orchestra | String Quartet | Philharmonic | Baroque Ensemble
    Chamber Choir | Piano Trio
""")
COMPOSERS: Final = (
    ("Johann Sebastian Bach", "BWV"),
    ("Wolfgang Amadeus Mozart", "K."),
    ("Ludwig van Beethoven", "Op."),
    ("Frédéric Chopin", "Op."),
    ("Claude Debussy", "L."),
    ("Pyotr Ilyich Tchaikovsky", "Op."),
    ("Antonín Dvořák", "Op."),
    ("Johannes Brahms", "Op."),
    ("Franz Schubert", "D."),
    ("Antonio Vivaldi", "RV"),
    ("Sergei Rachmaninoff", "Op."),
    ("Clara Schumann", "Op."),
    ("Joseph Haydn", "Hob."),
)
FORMS: Final = words("""
    Symphony | Piano Concerto | Violin Concerto | String Quartet | Piano Sonata | Cello Suite
    Nocturne | Étude | Prelude | Serenade | Sonata
""")
KEYS: Final = words("""
    C major | C minor | D major | D minor | E-flat major | E minor | F major | F minor
    G major | G minor | A major | A minor | B-flat major | B minor | F-sharp minor
""")
TEMPOS: Final = words("""
    Allegro | Adagio | Andante | Presto | Largo | Allegretto | Menuetto | Scherzo | Rondo
    Andante con moto | Allegro ma non troppo | Vivace
""")
ROMAN: Final = words("I | II | III | IV | V | VI")
VERSIONS: Final = (
    (" - Live", "live"),
    (" - Acoustic", "acoustic"),
    (" - Remastered {year}", "remastered"),
    (" (Radio Edit)", "radio edit"),
    (" - {name} Remix", "remix"),
    (" (Demo)", "demo"),
    (" - Instrumental", "instrumental"),
)
ALBUM_EDITIONS: Final = words(
    "(Deluxe Edition) | (Expanded Edition) | (Remastered) | (Anniversary Edition)"
)
COMPILATIONS: Final = words(
    "Greatest Hits | The Best of {name} | Essentials | The Collection | Anthology"
)
LABELS: Final = words("""
    Northern Lights Records | Blue Harbor Music | Sunset Sound | Paper Moon Records | Ironwood
    Velvet Room Recordings | Golden Age Music | Lowlands | Neon Tide | Red Brick Records
    Self-released | Atlas Music Group | Kite & Key
""")

PLAYLIST_CONTEXTS: Final = (
    ("Rainy Day", "melancholic", "rainy day", "Soft songs for grey afternoons and foggy windows."),
    ("Sunday Morning", "calm", "morning", "Ease into the day with slow, warm songs."),
    ("Late Night", "dark", "late night", "For the hours after midnight."),
    ("Road Trip", "happy", "road trip", "Windows down, volume up."),
    ("Workout", "energetic", "workout", "High-energy tracks to push through the last rep."),
    ("Study", "chill", "study", "Keep calm and focus."),
    ("Dinner Party", "romantic", "dinner", "Good food, good company, good music."),
    ("Summer", "happy", "summer", "The sound of long days and warm nights."),
    ("Coffee Shop", "chill", "coffee", "Mellow songs for your coffee break."),
    ("Sleepy", "calm", "sleep", "Gentle songs to help you drift off."),
    ("Focus", "chill", "focus", "Music that stays out of your way."),
    ("Heartbreak", "sad", "breakup", "Songs for when it's over."),
    ("Friday Night", "party", "party", "Start the weekend right."),
    ("Winter", "melancholic", "winter", "Songs for cold days and long nights."),
)
PLAYLIST_TEMPLATES: Final = words("""
    {context} {genre} | {context} {genre} | {decade} {genre} Anthems | {decade} {genre} Hits
    {decade} {genre} Classics | {genre} Essentials | Best of {genre} | {mood} {genre}
    This Is {artist} | {artist} Radio | {mood} {genre} | All Out {decade} | {genre} Mix
    {genre} Favorites | Today's Top Hits | New Music Friday | {context} Vibes | {context} {genre}
    {genre} Classics | Pure {genre} | {genre} for {context}
""")
USER_PLAYLISTS: Final = words("""
    {mood} vibes | gym 💪 | roadtrip {year} | songs for {first} | my {genre} mix | sad songs :(
    wedding playlist | summer {year} ☀️ | late night drive | {first}'s favorites | chill
    shower songs | {genre} | throwbacks | on repeat | cleaning the house | 🔥🔥🔥 | study {year}
""")
PLAYLIST_BLURBS: Final = {
    "artist": "All the essential tracks from {artist}, in one place.",
    "decade": "The biggest {genre_text}songs of the {decade}.",
    "mood": "{mood_text} {genre_text}to set the tone.",
    "genre": "The essential {genre_text}tracks, handpicked and updated weekly.",
    "none": "The songs everyone is listening to right now.",
}
"""Editorial playlist descriptions by the most specific slot the title uses."""
CURATORS: Final = words(
    "ltrr Editorial | ltrr Editorial | ltrr Editorial | Filtr | Digster | Topsify"
)
