"""Podcast topics of the synthetic catalog: their subjects, hosts' angles and wording."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from catalog.wordlists import words


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
