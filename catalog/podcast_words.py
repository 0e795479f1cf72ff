"""Podcast vocabulary of the synthetic catalog besides topics: companies, publishers,
and the podcast wording of languages other than English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from catalog.podcast_topics import TOPICS
from catalog.wordlists import words

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
