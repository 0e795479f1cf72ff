"""Word lists for the synthetic catalog, and the helpers that compose them into text.

``catalog.generate`` decides the catalog's structure (how many of what, who
released which album when, how popular); this module decides how things are
called and described. Kept apart so the generator stays readable and lists can grow.
Lists are written as ``|``-separated text because hundreds of one-word tuple items
would each take a line once formatted. Order matters where noted: single-word
titles and phrases are drawn Zipf-weighted by position, so the first entries
("Love", "Home", "Run"...) collide the most, as they do in real catalogs.
Everything here is invented or common vocabulary; no downloaded data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import Final


def words(text: str) -> tuple[str, ...]:
    """Split ``|``/newline separated text into stripped, non-empty items."""
    return tuple(item.strip() for item in text.replace("\n", "|").split("|") if item.strip())


def _weights(text: str) -> tuple[tuple[str, float], ...]:
    """Parse "name:weight | ..." so weighted lists stay on a line or two."""
    pairs = (item.rsplit(":", 1) for item in words(text))
    return tuple((name, float(weight)) for name, weight in pairs)


@dataclass(frozen=True, slots=True)
class Locale:
    """Names and title material of one language, plus how its artists sing."""

    code: str
    weight: float  # share of artists from this locale
    english_songs: float  # share of its artists who sing (and title songs) in English
    english_titles: float  # share of titles borrowed from English while singing natively
    one_word: tuple[str, ...]  # most colliding first
    phrases: tuple[str, ...]  # most colliding first
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    patterns: tuple[str, ...]  # slots: {a} adjective, {n} {n2} nouns, {v} verb, {p} plural
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[str, ...]  # "City, Country"
    band_patterns: tuple[str, ...] = ()
    plurals: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    name_format: str = "{f} {l}"
    genres: tuple[tuple[str, float], ...] = ()  # parent genre weights; empty = DEFAULT_GENRES


EN: Final = Locale(
    code="en",
    weight=0.56,
    english_songs=1.0,
    english_titles=0.0,
    one_word=words("""
        Love | Home | Run | Stay | Hello | Forever | Alone | Fire | Closer | Dreams | Believe
        Crazy | Angel | Tonight | Breathe | Hurt | Gold | Falling | Heaven | Paradise | Lucky
        Yesterday | Sunshine | Ghost | Blue | Sorry | Happy | Perfect | Youth | Roses | Runaway
        Midnight | Rain | Burn | Shine | Smile | Free | Hero | Echo | Gravity | Magic | Desire
        Freedom | Tears | Sugar | Honey | Waves | Wildfire | Monster | Diamonds | Nightmare
        Summertime | Oxygen | Wonderland | Shadows | Faded | Animals | Underground | Home Again
    """),
    phrases=words("""
        Love Story | Summer Nights | Golden Hour | Hold On | Without You | Let It Go | Take Me Home
        Best Friend | Sweet Dreams | Broken Heart | City Lights | One More Night | Last Dance
        First Love | Stay With Me | Never Let Me Go | Back to You | Summer Love | Wild Heart
        Dancing in the Dark | Under the Stars | Heart of Gold | Endless Summer | Lonely Nights
        Slow Dance | New Day | Paper Planes | Red Wine | Blue Moon | Sunday Morning | Higher Love
        Lost in the City | Fall Apart | Come Home | Young and Free | Daydream | Little Things
        Run Away | Fly Away | Hello Again | Love Me Now | Home Tonight
    """),
    nouns=words("""
        Heart | Night | Fire | Rain | City | Dream | Sky | River | Road | Light | Star | Moon | Sun
        Ocean | Shadow | Summer | Winter | Heaven | Angel | Storm | Ghost | Diamond | Rose | Mirror
        Highway | Paradise | Memory | Kingdom | Thunder | Silence | Echo | Garden | Window | Island
        Horizon | Wolf | Crown | Flame | Stranger | Lover | Wave | Money | Party | Sunset | Dawn
        Satellite | Machine | Glass | Velvet | Honey | Gold | Skyline | Heartbeat | Love | Home
    """),
    adjectives=words("""
        Golden | Broken | Wild | Sweet | Dark | Electric | Lonely | Blue | Red | Silver | Endless
        Little | Crazy | Burning | Frozen | Midnight | Summer | Velvet | Neon | Perfect | Secret
        Silent | Young | Beautiful | Dangerous | Sacred | Lost | Empty | Cold | Hollow | Restless
        Bright | Fading | Lucky | Heavy | Paper
    """),
    verbs=words("""
        Run | Stay | Fall | Dance | Breathe | Hold | Wait | Shine | Burn | Fly | Hide | Dream
        Believe | Remember | Forget | Follow | Chase | Touch | Kiss | Save | Call | Love
    """),
    plurals=words("""
        Wolves | Kings | Lions | Strangers | Shadows | Echoes | Machines | Satellites | Horses
        Giants | Arrows | Saints | Ravens | Foxes | Tigers | Rebels | Hearts | Thieves | Ghosts
        Pilots | Sons | Daughters | Drifters | Lovers
    """),
    patterns=words("""
        {a} {n} | {a} {n} | {a} {n} | {n} of {n2} | The {n} | {v} Me | {v} With Me | Don't {v}
        {n} in the {n2} | {a} Love | {v} Tonight | Let Me {v} | {a} {p} | {n} Song | My {n}
        {a} | {n} | I {v} You | When the {n} Falls
    """),
    band_patterns=words("""
        The {a} {p} | {a} {n} | {n} {n2} | {n} & the {p} | {f} and the {p} | The {a} {n}
        The {n} Club | {a} {p} | {p} of the {n} | {n} Theory
    """),
    first_names=words("""
        James | Olivia | Liam | Emma | Noah | Ava | Jack | Mia | Ethan | Chloe | Lucas | Grace
        Henry | Lily | Sam | Ruby | Leo | Zoe | Max | Ella | Oscar | Harper | Caleb | Nora | Owen
        Sophie | Dylan | Isla | Miles | Hazel | Jordan | Aaliyah | Tyler | Jasmine | Marcus
        Kayla | Andre | Taylor | Billy | Jolene | Luke | Kacey | Willie | Dolly | Ray | Etta
    """),
    last_names=words("""
        Smith | Johnson | Williams | Brown | Jones | Miller | Davis | Wilson | Moore | Taylor
        Anderson | Thomas | Jackson | White | Harris | Martin | Thompson | Young | King | Wright
        Hill | Scott | Green | Baker | Adams | Nelson | Carter | Mitchell | Turner | Parker
        Collins | Stewart | Morris | Reed | Cook | Bell | Murphy | Bailey | Cooper | Hayes | Gray
        James | Brooks | Price | Bennett | Wood | Barnes | Ross | Fisher | Lane | Knight | Fox
    """),
    cities=words("""
        Los Angeles, USA | New York, USA | Nashville, USA | Atlanta, USA | Chicago, USA
        Seattle, USA | Austin, USA | Detroit, USA | New Orleans, USA | Memphis, USA
        London, UK | Manchester, UK | Glasgow, UK | Bristol, UK | Dublin, Ireland
        Toronto, Canada | Montreal, Canada | Vancouver, Canada | Melbourne, Australia
        Sydney, Australia | Auckland, New Zealand | Kingston, Jamaica | Lagos, Nigeria
    """),
)

ES: Final = Locale(
    code="es",
    weight=0.12,
    english_songs=0.05,
    english_titles=0.05,
    one_word=words("""
        Amor | Corazón | Vida | Noche | Contigo | Fuego | Luna | Te Quiero | Sola | Sueños
        Libre | Mañana | Volver | Cielo | Lágrimas | Besos | Adiós | Siempre | Loco | Bonita
        Perdón | Hola | Bailando | Mi Vida | Quédate | Tequila | Verano | Despierta
    """),
    phrases=words("""
        Mi Corazón | Noche de Verano | Te Amo | Sin Ti | Baila Conmigo | La Última Vez
        Por Siempre | Ojos Negros | Mil Besos | Tu Boca | Amor de Verano | Vuelve a Mí
        Dame Más | Calle Luna | Otra Vez | Solo Tú | Dos Corazones
    """),
    nouns=words("""
        Corazón | Noche | Luna | Fuego | Cielo | Mar | Vida | Sol | Calle | Ciudad | Sueño
        Verano | Lluvia | Estrella | Alma | Piel | Amor | Tiempo | Viento
    """),
    adjectives=words("""
        Azul | Triste | Salvaje | Feliz | Dulce | Libre | Brillante | Caliente | Fugaz | Gris
        Verde | Inmortal | Especial | Real
    """),
    patterns=words("{n} {a} | {n} de {n2} | {n} y {n2} | Sin {n} | {n} {a} | Mi {n}"),
    band_patterns=words("Los {p} | {n} {a} | Los {p} del {n} | La {n} | {p} de {n}"),
    plurals=words("Tigres | Lobos | Caminantes | Hermanos | Reyes | Fantasmas | Piratas | Gatos"),
    first_names=words("""
        Carlos | Sofía | Alejandro | Valentina | Diego | Camila | Mateo | Lucía | Javier
        Isabella | Daniela | Pablo | Martina | Andrés | Gabriela | Luis | María | José | Ana
        Nicolás | Paloma | Rocío
    """),
    last_names=words("""
        García | Rodríguez | Martínez | López | Hernández | González | Pérez | Sánchez
        Ramírez | Torres | Flores | Rivera | Gómez | Díaz | Morales | Vargas | Castillo | Ortega
    """),
    cities=words("""
        Madrid, Spain | Barcelona, Spain | Sevilla, Spain | Valencia, Spain | Mexico City, Mexico
        Guadalajara, Mexico | Buenos Aires, Argentina | Bogotá, Colombia | Medellín, Colombia
        Santiago, Chile | Lima, Peru | San Juan, Puerto Rico | Havana, Cuba
    """),
    genres=_weights(
        "latin:45 | pop:20 | rock:12 | hip hop:10 | electronic:5 | folk:3 | jazz:2 | classical:3"
    ),
)

PT: Final = Locale(
    code="pt",
    weight=0.05,
    english_songs=0.05,
    english_titles=0.03,
    one_word=words("""
        Saudade | Amor | Coração | Vida | Noite | Mar | Sol | Lua | Tempo | Sonho | Casa | Chuva
        Beijo | Paixão | Menina | Carnaval | Liberdade | Felicidade | Samba | Garota
    """),
    phrases=words("""
        Meu Amor | Noite de Verão | Só Você | Volta pra Mim | Sem Você | Meu Coração | Céu Azul
        Tarde Demais | Beira Mar | Dia de Sol
    """),
    nouns=words("""
        Coração | Noite | Mar | Sol | Lua | Cidade | Vida | Estrela | Céu | Rua | Tempo | Chuva
        Praia | Vento | Sonho | Flor
    """),
    adjectives=words("Azul | Feliz | Doce | Livre | Triste | Verde | Grande | Selvagem | Leve"),
    patterns=words("{n} {a} | {n} e {n2} | {n} {a} | Sem {n}"),
    band_patterns=words("Os {p} | {n} {a} | Banda {n}"),
    plurals=words("Caminhantes | Piratas | Lobos | Mensageiros | Viajantes | Sonhadores"),
    first_names=words("""
        João | Ana | Pedro | Beatriz | Lucas | Mariana | Gabriel | Juliana | Rafael | Larissa
        Thiago | Fernanda | Caetano | Gilberto | Luiza | Marisa
    """),
    last_names=words("""
        Silva | Santos | Oliveira | Souza | Costa | Pereira | Almeida | Ferreira | Ribeiro
        Carvalho | Lima | Gomes | Moraes | Barbosa
    """),
    cities=words("""
        São Paulo, Brazil | Rio de Janeiro, Brazil | Salvador, Brazil | Belo Horizonte, Brazil
        Recife, Brazil | Lisbon, Portugal | Porto, Portugal
    """),
    genres=(("latin", 40), ("pop", 20), ("rock", 10), ("hip hop", 10), ("jazz", 8), ("folk", 5)),
)

FR: Final = Locale(
    code="fr",
    weight=0.04,
    english_songs=0.15,
    english_titles=0.05,
    one_word=words("""
        Amour | Toujours | Encore | Pourquoi | Soleil | Nuit | Paris | Liberté | Rêve | Lune
        Ciel | Tendresse | Ailleurs | Jamais | Chérie | Bonjour | Désolé | Papillon
    """),
    phrases=words("""
        Mon Amour | Je T'aime | Sous le Ciel | Ma Chérie | Nuit Blanche | Tout le Monde | Dis-moi
        À Demain | Sans Toi | Reste Avec Moi | Coup de Foudre
    """),
    nouns=words("""
        Cœur | Nuit | Ciel | Soleil | Mer | Ville | Rêve | Lune | Étoile | Vie | Amour | Pluie
        Été | Hiver | Vent | Feu
    """),
    adjectives=words("Rouge | Rose | Triste | Calme | Sauvage | Libre | Tendre | Sombre | Fragile"),
    patterns=words("{n} {a} | {n} et {n2} | {n} {a} | Sans {n}"),
    band_patterns=words("Les {p} | {n} {a} | Les {p} du {n}"),
    plurals=words("Rêveurs | Enfants | Oiseaux | Loups | Étoiles | Fantômes"),
    genres=_weights(
        "pop:25 | hip hop:20 | electronic:15 | rock:15 | folk:8 | jazz:7 | classical:5 | r&b:5"
    ),
    first_names=words("""
        Camille | Louis | Chloé | Hugo | Léa | Julien | Manon | Antoine | Inès | Théo | Élodie
        Mathieu | Zoé | Nicolas | Margaux | Pierre | Aya | Angèle
    """),
    last_names=words("""
        Martin | Bernard | Dubois | Thomas | Robert | Richard | Petit | Durand | Leroy | Moreau
        Simon | Laurent | Lefebvre | Michel | Garnier | Fontaine
    """),
    cities=words("""
        Paris, France | Lyon, France | Marseille, France | Bordeaux, France | Toulouse, France
        Montréal, Canada | Brussels, Belgium | Geneva, Switzerland | Dakar, Senegal
    """),
)

DE: Final = Locale(
    code="de",
    weight=0.04,
    english_songs=0.35,
    english_titles=0.05,
    one_word=words("""
        Liebe | Sehnsucht | Heimat | Sommer | Nacht | Himmel | Feuer | Herz | Zeit | Freiheit
        Morgen | Regen | Engel | Stadt | Traum | Wolken | Hallo | Tanzen | Allein | Immer
    """),
    phrases=words("""
        Ich Liebe Dich | Für Immer | Bis Morgen | Guten Morgen | Zeit für Uns | Nur Mit Dir
        Wilde Herzen | Kalte Nacht | Alles Gut | Ohne Dich
    """),
    nouns=words("""
        Herz | Nacht | Himmel | Feuer | Stadt | Traum | Sommer | Winter | Regen | Licht | Stern
        Meer | Zeit | Welt | Liebe | Wind | Eis
    """),
    adjectives=(),
    patterns=words("{n} und {n2} | Zwischen {n} und {n2} | {n} | {n} und {n2}"),
    band_patterns=words("Die {p} | {n}{n2} | Die {n}band"),
    plurals=words("Träumer | Piraten | Wölfe | Sterne | Engel | Fantasten"),
    genres=_weights(
        "pop:20 | electronic:20 | rock:15 | hip hop:15 | metal:12 | classical:8 | folk:5 | jazz:5"
    ),
    first_names=words("""
        Lukas | Anna | Felix | Lena | Jonas | Marie | Leon | Lea | Paul | Sophie | Max | Laura
        Moritz | Hannah | Tim | Julia | Helene | Nena
    """),
    last_names=words("""
        Müller | Schmidt | Schneider | Fischer | Weber | Meyer | Wagner | Becker | Schulz
        Hoffmann | Koch | Richter | Wolf | Schröder | Neumann | Braun
    """),
    cities=words("""
        Berlin, Germany | Hamburg, Germany | Munich, Germany | Cologne, Germany
        Leipzig, Germany | Frankfurt, Germany | Vienna, Austria | Zurich, Switzerland
    """),
)

IT: Final = Locale(
    code="it",
    weight=0.03,
    english_songs=0.1,
    english_titles=0.05,
    one_word=words("""
        Amore | Ciao | Notte | Sole | Cuore | Estate | Vita | Sempre | Bella | Luna | Mare
        Volare | Domani | Sogno | Tempo | Grazie | Ancora | Stella | Insieme | Libertà
    """),
    phrases=words("""
        Ti Amo | Senza di Te | Dolce Vita | Notte d'Estate | Amore Mio | Tutto Bene | Buonanotte
        Mille Baci | Vieni Via | Cuore Nero
    """),
    nouns=words("""
        Cuore | Notte | Sole | Mare | Luna | Cielo | Città | Vita | Stella | Estate | Vento
        Fuoco | Sogno | Strada
    """),
    adjectives=words(
        "Dolce | Triste | Felice | Grande | Forte | Breve | Veloce | Fragile | Celeste"
    ),
    patterns=words("{n} {a} | {n} e {n2} | {n} {a} | Senza {n}"),
    band_patterns=words("I {p} | {n} {a}"),
    plurals=words("Sognatori | Pirati | Lupi | Ragazzi | Fantasmi"),
    genres=_weights(
        "pop:35 | rock:15 | hip hop:15 | classical:10 | folk:10 | electronic:10 | jazz:5"
    ),
    first_names=words("""
        Marco | Giulia | Luca | Sofia | Alessandro | Chiara | Matteo | Francesca | Lorenzo
        Elena | Davide | Sara | Andrea | Federica
    """),
    last_names=words("""
        Rossi | Russo | Ferrari | Esposito | Bianchi | Romano | Colombo | Ricci | Marino | Greco
        Bruno | Gallo | Conti | De Luca
    """),
    cities=words("""
        Rome, Italy | Milan, Italy | Naples, Italy | Turin, Italy | Bologna, Italy
        Florence, Italy | Palermo, Italy
    """),
)

JA: Final = Locale(
    code="ja",
    weight=0.05,
    english_songs=0.0,
    english_titles=0.3,
    one_word=words("""
        愛 | 夢 | 桜 | 空 | 夜 | 光 | 星 | 花火 | 未来 | 雨 | 風 | 心 | さよなら | ありがとう
        Sakura | Yume | Hikari | Sayonara | 青春 | 約束
    """),
    phrases=words("""
        夏の夜 | 君の名前 | 夜明け | 青い空 | 桜の季節 | 東京の夜 | 大好き | また会いましょう
        Tokyo Nights | 君と僕
    """),
    nouns=words("空 | 夜 | 光 | 星 | 夢 | 雨 | 風 | 心 | 花 | 海 | 街 | 月 | 君 | 季節 | 記憶"),
    adjectives=words("青い | 白い | 赤い | 眠れない | 優しい | 遠い | 新しい | 美しい | 小さな"),
    patterns=words("{n}の{n2} | {a}{n} | {n}の{n2} | {n}へ | {a}{n}"),
    band_patterns=words("{n}{n2} | {a}{n}"),
    first_names=words(
        "結衣 | 陽菜 | 蓮 | 大翔 | 美咲 | 翔太 | 優花 | 健太 | 愛子 | 拓也 | 葵 | 悠真"
    ),
    last_names=words("佐藤 | 鈴木 | 高橋 | 田中 | 渡辺 | 伊藤 | 山本 | 中村 | 小林 | 加藤"),
    cities=words("""
        Tokyo, Japan | Osaka, Japan | Kyoto, Japan | Fukuoka, Japan | Sapporo, Japan
        Nagoya, Japan | Yokohama, Japan
    """),
    name_format="{l}{f}",
    genres=(("j-pop", 45), ("rock", 15), ("electronic", 10), ("pop", 10), ("jazz", 5)),
)

KO: Final = Locale(
    code="ko",
    weight=0.06,
    english_songs=0.0,
    english_titles=0.4,
    one_word=words("""
        사랑 | 봄날 | 밤 | 별 | 꿈 | 눈물 | 하루 | 우리 | 너 | 바다 | 안녕 | 기억
        Butterfly | Fantasy | Fever | Crush | Boom | Lollipop | Cherry | Candy
    """),
    phrases=words("""
        사랑해 | 보고 싶다 | 너의 목소리 | 봄날의 꿈 | 첫사랑 | 밤하늘 | 좋은 날 | 너와 나
    """),
    nouns=words("별 | 꿈 | 밤 | 바다 | 하늘 | 사랑 | 노래 | 기억 | 봄 | 겨울 | 눈물 | 마음"),
    adjectives=words("작은 | 푸른 | 아름다운 | 슬픈 | 하얀 | 뜨거운 | 빛나는"),
    patterns=words("{n}의 {n2} | {a} {n} | {n}의 {n2} | {a} {n}"),
    band_patterns=words("""
        NOVA | LUMINA | STELLAR | PRISM | AURORA | ECLIPSE | VIVID | ORBIT | BLOSSOM | ZENITH
        ASTRA | NEON | {n} | IRIS | HALO | VERTEX | CRYSTAL | MIRAGE | ONYX | SOLAR
    """),
    first_names=words("""
        민지 | 서연 | 지훈 | 하은 | 도윤 | 수아 | 지민 | 예린 | 현우 | 유나 | 태양 | 소희
    """),
    last_names=words("김 | 이 | 박 | 최 | 정 | 강 | 조 | 윤 | 장 | 임"),
    cities=words("Seoul, South Korea | Busan, South Korea | Incheon, South Korea"),
    name_format="{l}{f}",
    genres=(("k-pop", 70), ("hip hop", 10), ("r&b", 8), ("rock", 6), ("electronic", 6)),
)

SV: Final = Locale(
    code="sv",
    weight=0.05,
    english_songs=0.55,
    english_titles=0.05,
    one_word=words("""
        Kärlek | Sommar | Natt | Hem | Hjärta | Ljus | Midsommar | Himmel | Vinter | Stjärna
        Drömmar | Hej | Tillsammans | Sakta
    """),
    phrases=words("""
        Jag Älskar Dig | Sommarnatt | Hem Igen | För Alltid | Vi Två | Stockholm i Natt
        Ingen Annan
    """),
    nouns=words("Hjärta | Natt | Himmel | Ljus | Hav | Stad | Dröm | Vind | Sommar | Eld | Regn"),
    adjectives=(),
    patterns=words("{n} och {n2} | {n} | {n} och {n2}"),
    band_patterns=words("{n}{n2} | {n}bandet"),
    first_names=words("""
        Erik | Elsa | Lars | Astrid | Oskar | Maja | Johan | Ebba | Anders | Linnea | Gustav
        Saga | Nils | Freja
    """),
    last_names=words("""
        Andersson | Johansson | Karlsson | Nilsson | Eriksson | Larsson | Olsson | Persson
        Svensson | Lindqvist | Berg | Lund
    """),
    cities=words("Stockholm, Sweden | Gothenburg, Sweden | Malmö, Sweden | Uppsala, Sweden"),
    genres=(("pop", 35), ("electronic", 20), ("rock", 15), ("metal", 15), ("folk", 10)),
)

LOCALES: Final = (EN, ES, PT, FR, DE, IT, JA, KO, SV)

DEFAULT_GENRES: Final = _weights(
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


@dataclass(frozen=True, slots=True)
class Topic:
    """A podcast category: show names, what the shows talk about, and episode templates.

    Template slots: {title} {host} {host_last} {guest} {place} {subject} {Subject}
    {subject2} {company} {k} {year}.
    """

    titles: tuple[str, ...]
    subjects: tuple[str, ...]
    tags: tuple[str, ...]
    about: tuple[str, ...]  # show description sentences after the intro
    episodes: tuple[str, ...]
    episode_about: tuple[str, ...]
    minutes: float
    explicit: float


TOPICS: Final[dict[str, Topic]] = {
    "true crime": Topic(
        titles=words("""
            Murder in {place} | The {place} Files | Cold Case Diaries | Dark Waters | Unsolved
            Missing in {place} | The Evidence Room | Small Town Secrets | Killer Instinct
            Midnight Confessions | {host_last} Investigates | Case Closed
        """),
        subjects=words("""
            the disappearance of a college student | a string of poisonings
            a decades-old cold case
            a botched bank heist | a cult in the desert | a wrongful conviction | a missing heiress
            a serial arsonist | an art forgery ring | a murder on a cruise ship
        """),
        tags=words("murder | cold case | investigation | mystery | crime | justice"),
        about=words("""
            Each week we dig into {subject} and the people who never stopped looking for answers.
            Drawing on court records, police files and interviews, we rebuild every case in detail.
            Some cases are solved, some are not, and a few were solved wrong.
            This season follows {subject2} from the first 911 call to the verdict.
        """),
        episodes=words("""
            The Disappearance of {guest} | {place}: The Night Everything Changed
            Part {k}: The Confession | The {place} Murders | What the Jury Never Heard
            Cold Case: {guest} | The Last Phone Call
            A Killer Next Door | The Witness | Part {k}: The Trial
        """),
        episode_about=words("""
            In {year}, {guest} vanished from {place} without a trace.
            We talk with the detective who worked the case for twenty years.
            Part {k} of our series on {subject}.
            New evidence raises questions about who was really responsible.
            Content warning: this episode discusses violence.
        """),
        minutes=52,
        explicit=0.3,
    ),
    "history": Topic(
        titles=words("""
            History Unboxed | The Past Is Loud | Empires and Ruins | {host_last}'s History Hour
            Lost Centuries | The Long Now | Battlefield Stories | Dead Kings | The Archive
            Footnotes | Once Upon a Time in History
        """),
        subjects=words("""
            the Roman Empire | the French Revolution | the Cold War | the Ming Dynasty
            the Space Race | the Black Death | Ancient Egypt | the Vikings | the Ottoman Empire
            the Industrial Revolution | the Silk Road | the First World War | the Aztec Empire
            the Byzantine Empire | the Hundred Years' War | the Meiji Restoration
        """),
        tags=words("history | ancient history | war | biography | empires | documentary"),
        about=words("""
            Every episode tells the story of {subject} through the people who lived it.
            From {subject} to {subject2}, no era is off limits.
            We read the letters, the diaries and the court records so you don't have to.
            Expect deep dives, multi-part series and the occasional myth busted.
        """),
        episodes=words("""
            {Subject}: Part {k} | The Rise and Fall of {subject}
            What Really Happened During {subject}
            {Subject} in Ten Objects | Myths About {subject} | The Forgotten Women of {subject}
            Life and Death in {subject} | {Subject}: An Introduction
        """),
        episode_about=words("""
            This week we travel back to {subject}.
            Historian {guest} joins us to separate legend from fact.
            Part {k} of our series on {subject}.
            Why does {subject} still matter today?
        """),
        minutes=58,
        explicit=0.02,
    ),
    "comedy": Topic(
        titles=words("""
            Two Idiots and a Mic | Bad Advice Hour | The {host_last} Show | Laugh Track
            Awkward Silence | We Should Know Better | Dumb Questions Only | Group Chat
            Late to the Party | No Filter | {host_first} & Friends
        """),
        subjects=words("""
            bad first dates | airline food | our worst jobs | conspiracy theories
            childhood TV shows | gym culture | terrible roommates | wedding disasters | reality TV
            group chats | self-checkout machines | family holidays
        """),
        tags=words("comedy | improv | stand-up | funny | interviews | pop culture"),
        about=words("""
            Expect tangents, bad impressions and very strong opinions about {subject}.
            Every week a different comedian drops by to talk about {subject2} and everything else.
            Nothing is off limits, least of all the hosts.
            It's like eavesdropping on your funniest friends.
        """),
        episodes=words("""
            {guest} Returns | Ranking {Subject} | The One About {subject} | Live from {place}
            Ask Us Anything | Best of the Year | We Need to Talk About {subject} | {guest} Is Back
        """),
        episode_about=words("""
            Comedian {guest} joins us to talk about {subject}.
            Plus: listener voicemails and a brand new segment nobody asked for.
            Recorded live in {place}.
            We finally settle the debate about {subject2}.
        """),
        minutes=68,
        explicit=0.55,
    ),
    "science": Topic(
        titles=words("""
            Curious Minds | The Lab Notebook | Big Questions | Tiny Universe | Particle Pod
            Why Things Are | The Deep End | Brain Matters | Starstuff | Field Notes
        """),
        subjects=words("""
            black holes | CRISPR gene editing | the gut microbiome | dark matter
            octopus intelligence | the science of sleep | climate tipping points
            quantum entanglement | the origin of life | volcanoes | the human brain | exoplanets
            vaccines | deep-sea creatures
        """),
        tags=words("science | physics | biology | space | nature | research"),
        about=words("""
            We talk to the scientists working on {subject} and explain it in plain language.
            From {subject} to {subject2}, we follow the evidence wherever it leads.
            No jargon, no homework, just good questions.
            Each episode ends with one thing you can try at home.
        """),
        episodes=words("""
            Everything You Know About {Subject} Is Wrong | A Beginner's Guide to {subject}
            The Mystery of {subject} | {Subject}, Explained | What {Subject} Can Teach Us
            {guest} on {subject} | The Future of {subject}
        """),
        episode_about=words("""
            Researcher {guest} explains the latest findings on {subject}.
            We also answer your questions about {subject2}.
            What do we really know about {subject}?
            A conversation recorded at the {place} science festival.
        """),
        minutes=42,
        explicit=0.02,
    ),
    "business": Topic(
        titles=words("""
            The Founder's Journey | Profit & Loss | Bottom Line | Startup Stories | Money Talks
            Built From Scratch | Market Movers | {host_last} on Business | The Pitch Room
            Small Business Big Ideas
        """),
        subjects=words("""
            remote work | venture capital | supply chains | startup failures
            the four-day work week | pricing strategy | negotiation | personal finance
            the creator economy | inflation | leadership | marketing on a budget | index funds
        """),
        tags=words("business | entrepreneurship | startups | investing | careers | finance"),
        about=words("""
            Founders, investors and operators share what actually worked and what nearly broke them.
            This season covers {subject} and {subject2}.
            Practical lessons for anyone building a company, a career or a portfolio.
            Every episode ends with three takeaways you can use on Monday.
        """),
        episodes=words("""
            How {company} Built a Billion-Dollar Business | Interview with {guest}, CEO of {company}
            {Subject}: What Every Founder Should Know | The Truth About {subject}
            Lessons from {company} | Why {company} Failed | Ask Me Anything: {Subject}
        """),
        episode_about=words("""
            {guest}, founder of {company}, talks about {subject}.
            We break down the numbers behind the rise of {company}.
            Is {subject} here to stay?
            Plus: your questions about {subject2}.
        """),
        minutes=38,
        explicit=0.05,
    ),
    "sports": Topic(
        titles=words("""
            Full Time | The Locker Room | Overtime | Box Score | Pitchside | Fourth and Long
            The Final Whistle | Game Day | Inside the Paint | The Dugout | {host_last} on Sports
        """),
        subjects=words("""
            the NBA playoffs | the Premier League | the NFL draft | the Champions League
            Formula 1 | the World Cup | marathon training | the Tour de France | fantasy football
            Major League Baseball | tennis | college football
        """),
        tags=words("sports | football | basketball | soccer | analysis | fantasy sports"),
        about=words("""
            Daily analysis, hot takes and interviews covering {subject} and {subject2}.
            Former players and coaches join to break down every big game.
            We call the winners before everyone else, and we are right about half the time.
        """),
        episodes=words("""
            Week {k} Recap | {Subject} Preview | Trade Deadline Reactions
            The Greatest Comeback Ever? | Interview with {guest} | Power Rankings: Week {k}
            Mailbag: {Subject} | Draft Day Grades
        """),
        episode_about=words("""
            We break down everything from week {k}.
            {guest} joins to talk about {subject}.
            Who is overrated and who is underrated heading into {subject2}?
            Plus: our picks for the weekend.
        """),
        minutes=55,
        explicit=0.15,
    ),
    "technology": Topic(
        titles=words("""
            Hard Reset | The Stack | Byte Sized | Future Tense | Signal & Noise | Commit Log
            Silicon Stories | Tech Tonight | Ctrl Alt Talk | The Source Code | Dev Diaries
        """),
        subjects=words("""
            artificial intelligence | quantum computing | open source | cybersecurity
            self-driving cars | the smartphone | cloud computing | privacy online
            programming languages | social media | electric vehicles | the chip industry
            search engines
        """),
        tags=words("technology | ai | software | gadgets | programming | startups"),
        about=words("""
            We explain {subject} without the hype and ask what it means for the rest of us.
            Engineers, founders and critics debate {subject2} every week.
            Smart, skeptical and slightly nerdy conversations about the tools that run our lives.
        """),
        episodes=words("""
            {Subject}, Explained | Is {Subject} Overhyped? | The Future of {subject}
            Inside {company}
            What We Got Wrong About {subject} | {guest} on {subject} | The Year in {Subject}
        """),
        episode_about=words("""
            {guest} from {company} explains how {subject} actually works.
            We look at the promises and the risks of {subject}.
            Plus: the week's news in {subject2}.
        """),
        minutes=47,
        explicit=0.08,
    ),
    "health": Topic(
        titles=words("""
            Better Every Day | The Wellness Hour | Body & Mind | The Mindful Minute | Stronger
            Healthy Habits | Rest & Recovery | The Calm Mind | Run Your Life
            Dr. {host_last} Explains
        """),
        subjects=words("""
            sleep | intermittent fasting | anxiety | strength training | gut health | running
            meditation | burnout | nutrition myths | longevity | stress | mental health at work
        """),
        tags=words("health | fitness | wellness | mental health | nutrition | self-improvement"),
        about=words("""
            Doctors, researchers and coaches share sound advice on {subject} and {subject2}.
            Small changes, big results: each episode gives you one habit to try this week.
            We cut through the wellness noise and look at what the science actually says.
        """),
        episodes=words("""
            The Truth About {subject} | {Subject}: What the Science Says
            A Beginner's Guide to {subject}
            {guest} on {subject} | Five Myths About {subject} | Fixing Your {Subject} Routine
        """),
        episode_about=words("""
            Dr. {guest} explains what really happens to your body during {subject}.
            We answer listener questions about {subject2}.
            Practical tips you can start using today.
            This episode is not medical advice; talk to your doctor.
        """),
        minutes=40,
        explicit=0.03,
    ),
    "news": Topic(
        titles=words("""
            The Morning Brief | World This Week | Politics Unpacked | The Briefing Room
            The Daily Brief | Headlines | The Big Picture | Inside Politics
        """),
        subjects=words("""
            the election | the economy | climate policy | housing prices | immigration | trade
            education reform | the energy crisis | health care
        """),
        tags=words("news | politics | current events | economy | daily news | world"),
        about=words("""
            The stories that matter, explained in about twenty minutes.
            Our reporters cover {subject}, {subject2} and the rest of the day's news.
            Independent, fact-checked and free of shouting.
        """),
        episodes=words("""
            {Subject}: What Happens Next | The Week in Review | Why {Subject} Matters
            {guest} on {subject} | The Fight Over {subject}
        """),
        episode_about=words("""
            Correspondent {guest} reports from {place} on {subject}.
            What the latest numbers say about {subject2}.
            Plus: the other headlines you need to know.
        """),
        minutes=24,
        explicit=0.01,
    ),
}

COMPANIES: Final = words("""
    Northwind | Brightline Foods | Bluefin Labs | Oakridge Coffee | Paperkite | Lumen Bank
    Cobalt Robotics | Harbor & Co. | Fernweh Travel | Quill Software | Greenleaf Energy | Skyhop
""")
WEEKDAYS: Final = words("Monday | Tuesday | Wednesday | Thursday | Friday")
EPISODE_PREFIXES: Final = ("", "", "Ep. {n}: ", "#{n} - ", "{n}. ", "Episode {n}: ")
PUBLISHERS: Final = words("""
    Lantern Audio | Wavelength Media | Parkside Podcasts | Northstar Network | Loudspeaker Co.
    Independent | Independent | Open Mic Studios
""")


@dataclass(frozen=True, slots=True)
class PodcastLocale:
    """Generic show and episode templates for non-English podcasts."""

    code: str
    weight: float
    topics: dict[str, str]  # topic -> its name in this language
    titles: tuple[str, ...]  # slots {topic} {Topic} {host_first} {host_last}
    about: tuple[str, ...]  # slots {title} {host} {topic} {day}
    episodes: tuple[str, ...]  # slots {Topic} {guest} {k} {n}
    episode_about: tuple[str, ...]  # slots {host} {guest} {topic}
    days: tuple[str, ...]


def _topic_names(text: str) -> dict[str, str]:
    """Topic names in another language, given in ``TOPICS`` order."""
    return dict(zip(TOPICS, words(text), strict=True))


PODCAST_LOCALES: Final = (
    PodcastLocale(
        code="es",
        weight=0.1,
        topics=_topic_names(
            "crímenes reales | historia | humor | ciencia | negocios | deportes | tecnología | "
            "salud | noticias"
        ),
        titles=words("""
            {Topic} con {host_first} | El podcast de {topic} | Hablemos de {topic} | {Topic} al día
            La hora de {host_last}
        """),
        about=words("""
            {title} es un podcast semanal sobre {topic} presentado por {host}.
            Cada semana hablamos con expertos e invitados sobre {topic}.
            Historias, entrevistas y debate sin prisas.
            Nuevos episodios cada {day}.
        """),
        episodes=words(
            "{Topic}: episodio {n} | Hablamos con {guest} | Lo mejor del año | Especial: {guest}"
        ),
        episode_about=words("""
            En este episodio, {host} conversa con {guest} sobre {topic}.
            Además, respondemos a las preguntas de los oyentes.
        """),
        days=words("lunes | martes | miércoles | jueves | viernes"),
    ),
    PodcastLocale(
        code="pt",
        weight=0.05,
        topics=_topic_names(
            "crimes reais | história | humor | ciência | negócios | esportes | tecnologia | "
            "saúde | notícias"
        ),
        titles=words("Papo de {topic} | {Topic} com {host_first} | O podcast de {topic}"),
        about=words("""
            {title} é um podcast semanal sobre {topic} apresentado por {host}.
            Toda semana conversamos com convidados sobre {topic}.
            Novos episódios toda {day}.
        """),
        episodes=words("{Topic}: episódio {n} | Conversa com {guest} | Especial com {guest}"),
        episode_about=words("""
            Neste episódio, {host} conversa com {guest} sobre {topic}.
            E ainda respondemos às perguntas dos ouvintes.
        """),
        days=words("segunda | terça | quarta | quinta | sexta"),
    ),
    PodcastLocale(
        code="de",
        weight=0.05,
        topics=_topic_names(
            "True Crime | Geschichte | Comedy | Wissenschaft | Wirtschaft | Sport | Technik | "
            "Gesundheit | Nachrichten"
        ),
        titles=words("{Topic} mit {host_first} | {Topic} am Morgen | Der {Topic}-Podcast"),
        about=words("""
            {title} ist ein wöchentlicher Podcast über {topic}, moderiert von {host}.
            Jede Woche sprechen wir mit Gästen und Expertinnen über {topic}.
            Neue Folgen jeden {day}.
        """),
        episodes=words("Folge {n}: {Topic} | Im Gespräch mit {guest} | Spezial: {guest}"),
        episode_about=words("""
            In dieser Folge spricht {host} mit {guest} über {topic}.
            Außerdem beantworten wir eure Fragen.
        """),
        days=words("Montag | Dienstag | Mittwoch | Donnerstag | Freitag"),
    ),
    PodcastLocale(
        code="fr",
        weight=0.05,
        topics=_topic_names(
            "les faits divers | l'histoire | l'humour | les sciences | l'économie | le sport | "
            "la technologie | la santé | l'actualité"
        ),
        titles=words("{Topic} avec {host_first} | {Topic}, le podcast | Le club de {host_first}"),
        about=words("""
            {title} est un podcast hebdomadaire présenté par {host}. Au programme : {topic}.
            Chaque semaine, des invités passionnés racontent {topic} autrement.
            Nouveaux épisodes chaque {day}.
        """),
        episodes=words("Épisode {n} : {Topic} | Rencontre avec {guest} | Spécial {guest}"),
        episode_about=words("""
            Dans cet épisode, {host} reçoit {guest}. Au programme : {topic}.
            Et comme toujours, vos questions en fin d'épisode.
        """),
        days=words("lundi | mardi | mercredi | jeudi | vendredi"),
    ),
)
"""English shows use ``TOPICS`` directly; these cover the other podcast languages."""


# Composition: turning the lists above into names and titles.

_SMALL_WORDS: Final = frozenset(
    words("a | an | and | at | by | for | in | of | on | or | the | to")
)


def decade_label(year: int) -> str:
    """The label people search for: "90s" for 1994, "2010s" for 2014."""
    start = year // 10 * 10
    return f"{start % 100:02d}s" if start < 2000 else f"{start}s"


def genre_label(genre: str) -> str:
    """Display name of a genre ("R&B", "Indie Rock")."""
    return GENRE_LABELS.get(genre, genre.title())


def genre_text(genre: str) -> str:
    """A genre inside a sentence: lower case unless it is an acronym ("R&B")."""
    return GENRE_LABELS.get(genre, genre)


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def capitalize(text: str) -> str:
    """First letter up, the rest untouched ("the Vikings" -> "The Vikings")."""
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    """English headline case that keeps acronyms ("A Beginner's Guide to CRISPR")."""
    parts = text.split(" ")
    return " ".join(p if i and p in _SMALL_WORDS else capitalize(p) for i, p in enumerate(parts))


@cache
def _zipf_cumulative(length: int) -> list[float]:
    return list(accumulate(1.0 / (i + 1) ** 0.7 for i in range(length)))


def zipf_choice(rng: random.Random, items: Sequence[str]) -> str:
    """Draw with 1/rank**0.7 weights: early entries collide far more often."""
    return rng.choices(items, cum_weights=_zipf_cumulative(len(items)))[0]


def _pools(loc: Locale) -> dict[str, tuple[str, ...]]:
    """Slot values for templates; English fills what a language does not have."""
    return {
        "a": loc.adjectives or EN.adjectives,
        "n": loc.nouns,
        "n2": loc.nouns,
        "p": loc.plurals or EN.plurals,
        "v": loc.verbs or EN.verbs,
        "f": loc.first_names,
        "w": STAGE_WORDS,
        "w2": STAGE_WORDS,
    }


_POOLS: Final = {loc.code: _pools(loc) for loc in LOCALES}


def fill(rng: random.Random, template: str, loc: Locale) -> str:
    """Fill only the slots a template uses, so draws stay few and deterministic."""
    pools = _POOLS[loc.code]
    return template.format(**{k: rng.choice(p) for k, p in pools.items() if f"{{{k}}}" in template})


def person_name(rng: random.Random, loc: Locale) -> str:
    return loc.name_format.format(f=rng.choice(loc.first_names), l=rng.choice(loc.last_names))


def band_name(rng: random.Random, loc: Locale) -> str:
    """Band names in the artist's language, or English ones as many bands choose."""
    if loc.code == "ko" and rng.random() < 0.4:
        return "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(rng.randint(3, 5)))
    if loc.band_patterns and rng.random() < 0.6:
        return fill(rng, rng.choice(loc.band_patterns), loc)
    return fill(rng, rng.choice(EN.band_patterns), EN)


def artist_name(rng: random.Random, loc: Locale, kind: str) -> str:
    """A name that fits the kind of act: orchestras, stage names, bands, people."""
    if kind in ("orchestra", "ensemble"):
        return f"{rng.choice(loc.cities).split(',')[0]} {rng.choice(CLASSICAL_ENSEMBLES)}"
    if kind in ("rapper", "dj", "producer") and rng.random() < 0.7:
        return fill(rng, rng.choice(STAGE_PATTERNS), loc)
    if kind == "duo" and rng.random() < 0.5:
        return f"{rng.choice(loc.first_names)} & {rng.choice(loc.first_names)}"
    if kind in ("band", "group", "collective", "duo"):
        return band_name(rng, loc)
    if kind in ("trio", "quartet"):
        return f"{person_name(rng, loc)} {kind.title()}"
    return person_name(rng, loc)


def song_title(rng: random.Random, loc: Locale) -> str:
    """Mostly colliding one-word titles and stock phrases, then template titles."""
    if rng.random() < loc.english_titles:
        loc = EN
    draw = rng.random()
    if draw < 0.2:
        return zipf_choice(rng, loc.one_word)
    if draw < 0.35:
        return zipf_choice(rng, loc.phrases)
    return fill(rng, rng.choice(loc.patterns), loc)


def classical_titles(rng: random.Random, n: int) -> tuple[str, list[str], str]:
    """Album title, ``n`` movement titles and the composer of a classical record.

    Works split into movements: "Symphony No. 5 in C minor, Op. 67: II. Adagio".
    """
    composer, catalogue = rng.choice(COMPOSERS)
    works: list[str] = []
    titles: list[str] = []
    while len(titles) < n:
        work = f"{rng.choice(FORMS)} No. {rng.randint(1, 9)} in {rng.choice(KEYS)}"
        works.append(f"{work}, {catalogue} {rng.randint(1, 120)}")
        movements = min(n - len(titles), rng.randint(1, 4))
        if movements == 1:
            titles.append(works[-1])
        else:
            titles += [f"{works[-1]}: {ROMAN[i]}. {rng.choice(TEMPOS)}" for i in range(movements)]
    surname = composer.split()[-1]
    album = f"{surname}: {works[0]}" if len(works) == 1 else f"{surname}: Selected Works"
    return album, titles, composer


def _podcast_locale(lang: str) -> PodcastLocale:
    return next(p for p in PODCAST_LOCALES if p.code == lang)


def show_text(rng: random.Random, topic: str, lang: str, slots: dict[str, str]) -> tuple[str, str]:
    """A show's title and multi-sentence description in its language."""
    if lang != "en":
        spec = _podcast_locale(lang)
        title = rng.choice(spec.titles).format(**slots)
        return title, " ".join(spec.about).format(title=title, day=rng.choice(spec.days), **slots)
    topic_spec = TOPICS[topic]
    title = rng.choice(topic_spec.titles).format(**slots)
    cadence = "daily" if topic == "news" else rng.choice(("weekly", "weekly", "twice-weekly"))
    intro = f"{title} is {article(cadence)} {cadence} {topic} podcast hosted by {slots['host']}."
    about = [s.format(title=title, **slots) for s in rng.sample(topic_spec.about, 2)]
    return title, " ".join([intro, *about, f"New episodes every {rng.choice(WEEKDAYS)}."])


def episode_text(
    rng: random.Random, topic: str, lang: str, slots: dict[str, str]
) -> tuple[str, str]:
    """An episode's title (numbered in the show's style) and description."""
    if lang == "en":
        spec = TOPICS[topic]
        template = rng.choice(spec.episodes)
        title = title_case(template.format(**slots))
        picked = sorted(rng.sample(range(len(spec.episode_about)), rng.randint(2, 3)))
        about = " ".join(spec.episode_about[i] for i in picked).format(**slots)
    else:
        local = _podcast_locale(lang)
        template = rng.choice(local.episodes)
        title, about = template.format(**slots), " ".join(local.episode_about).format(**slots)
    prefix = "" if "{n}" in template else slots["prefix"].format(n=slots["n"])
    return prefix + title, capitalize(about)


def album_title(
    rng: random.Random, artist: str, loc: Locale, titles: list[str], first: bool
) -> str:
    """Title tracks, self-titled debuts and fresh titles, as real discographies mix."""
    draw = rng.random()
    if len(titles) <= 3:
        return titles[0]
    if draw < 0.3:
        return rng.choice(titles)
    if first and draw < 0.5:
        return artist
    title = song_title(rng, loc)
    return f"{title} {rng.choice(ALBUM_EDITIONS)}" if draw > 0.95 else title


def song_version(rng: random.Random, title: str, year: int, live: bool) -> tuple[str, str | None]:
    """Live cuts on live albums; otherwise the odd acoustic, remix or remaster, and its tag."""
    if live:
        return f"{title} - Live", "live"
    if rng.random() >= 0.05:
        return title, None
    version, tag = rng.choice(VERSIONS)
    remaster = year + rng.randint(10, 30)
    if tag == "remastered" and remaster > 2025:
        return title, None
    return title + version.format(year=remaster, name=rng.choice(STAGE_WORDS)), tag


def artist_bio(name: str, kind: str, sub: str, home: str, debut: int, albums: int) -> list[str]:
    """Sentences of a short editorial bio; callers may keep only the first ones."""
    kind = {"dj": "DJ and producer"}.get(kind, kind)
    what = sub if kind in sub else f"{sub} {kind}"
    return [
        f"{name} is {article(what)} {what} from {home}.",
        f"Active since {debut}.",
        f"The discography counts {albums} release{'s' if albums != 1 else ''}.",
    ]


def playlist_text(
    rng: random.Random, slots: dict[str, str], editorial: bool, genre: str
) -> tuple[str, set[str], str | None]:
    """Title, the slots it uses, and (editorial only) a blurb that matches the title."""
    templates = PLAYLIST_TEMPLATES if editorial else USER_PLAYLISTS
    template = rng.choice(templates)
    while "{artist}" in template and not slots["artist"]:
        template = rng.choice(templates)
    used = {key for key in slots if f"{{{key}}}" in template}
    title = template.format(**slots)
    if not editorial:
        return title, used, None
    if "context" in used:
        return title, used, slots["blurb"]
    key = next((k for k in ("artist", "decade", "mood", "genre") if k in used), "none")
    text = genre_text(genre) + " " if "genre" in used else ""
    blurb = PLAYLIST_BLURBS[key].format(genre_text=text, mood_text=slots["mood"], **slots)
    return title, used, capitalize(blurb)
