"""Per-language word pools of the synthetic catalog: names, title words, phrases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from catalog.wordlists import weighted, words


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
    genres=weighted(
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
    genres=weighted(
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
    genres=weighted(
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
    genres=weighted(
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
