"""A simulation report for people: Markdown tables and PNG plots comparing policies.

Plots are drawn with matplotlib's Agg canvas (files only, no display), one
figure per question: do policies learn over time (learning curves), how much do
they lean on each strategy (strategy shares), and which needs do they serve
(per-intent bars).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evaluation.policies import MemoryVariant, PolicyError, split_variant
from evaluation.simulate import Metrics, SimulationReport

MEMORY_SEGMENT = "head-misspelled"
HEAD_SEGMENT = "head"
VARIANT_LINES: dict[MemoryVariant | None, str] = {
    None: "-",
    MemoryVariant.FROZEN: "--",
    MemoryVariant.COLD: ":",
}
"""Line style per memory variant; a plan policy and its variants share a colour."""
VARIANT_NOTES: dict[MemoryVariant, str] = {
    MemoryVariant.FROZEN: "`POLICY+memory-frozen` runs the plans of POLICY against a service "
    "whose memory does not learn from feedback (`LTRR_MEMORY__LEARN=false`, predicted pairs "
    "only), so its gap to POLICY is what feedback taught the memory.",
    MemoryVariant.COLD: "`POLICY+memory-cold` starts the memory without predicted pairs, so "
    "all it knows it learned from this run's feedback.",
}

CURVE_METRICS: tuple[tuple[str, str], ...] = (
    ("success_at_10", "success@10"),
    ("ndcg_at_10", "nDCG@10"),
    ("plan_reward", "plan reward (bandit objective)"),
    ("mean_candidates_drawn", "candidates drawn / search"),
)
TABLE_METRICS: tuple[tuple[str, str, str], ...] = (
    ("success_at_10", "success@10", "{:.3f}"),
    ("ndcg_at_10", "nDCG@10", "{:.3f}"),
    ("ctr", "CTR", "{:.3f}"),
    ("reward_rate", "reward rate", "{:.3f}"),
    ("plan_reward", "plan reward", "{:.3f}"),
    ("union_recall", "union recall", "{:.3f}"),
    ("mean_candidates_drawn", "candidates", "{:.1f}"),
    ("mean_latency_ms", "latency ms", "{:.1f}"),
    ("p99_latency_ms", "p99 ms", "{:.1f}"),
    ("mean_probes", "probes", "{:.1f}"),
)


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def _variant(name: str) -> tuple[str, MemoryVariant | None]:
    """A policy's plan policy and memory variant; a name from elsewhere is its own plan."""
    try:
        return split_variant(name)
    except PolicyError:
        return name, None


@dataclass(frozen=True)
class LineStyle:
    color: str
    linestyle: str


def line_styles(report: SimulationReport) -> dict[str, LineStyle]:
    """Per policy: a colour per plan policy (matplotlib's cycle), a line style per variant."""
    colours: dict[str, str] = {}
    styles: dict[str, LineStyle] = {}
    for name in report.policies:
        plan, variant = _variant(name)
        colour = colours.setdefault(plan, f"C{len(colours) % 10}")
        styles[name] = LineStyle(colour, VARIANT_LINES[variant])
    return styles


def variant_notes(report: SimulationReport) -> list[str]:
    """One sentence per memory variant among the policies, in a fixed order."""
    present = {_variant(name)[1] for name in report.policies}
    return [note for variant, note in VARIANT_NOTES.items() if variant in present]


def plot_learning_curves(report: SimulationReport, path: Path) -> None:
    """Windowed metrics over sessions, one line per policy."""
    figure = Figure(figsize=(11, 7))
    axes = figure.subplots(2, 2).ravel()
    styles = line_styles(report)
    for ax, (field, label) in zip(axes, CURVE_METRICS, strict=True):
        for name, policy in report.policies.items():
            xs = [point.end for point in policy.curve]
            ys = [float(getattr(point, field) or 0.0) for point in policy.curve]
            style = styles[name]
            ax.plot(
                xs,
                ys,
                marker="o",
                markersize=3,
                label=name,
                color=style.color,
                linestyle=style.linestyle,
            )
        ax.set_title(label)
        ax.set_xlabel(f"sessions (window {report.window})")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    _save(figure, path)


def plot_strategy_shares(report: SimulationReport, path: Path) -> None:
    """Fraction of searches calling each strategy, grouped by policy."""
    figure = Figure(figsize=(max(6, 1.6 * len(report.policies) + 3), 4.5))
    ax = figure.subplots()
    names = list(report.policies)
    width = 0.8 / max(len(report.strategies), 1)
    x = np.arange(len(names))
    for i, strategy in enumerate(report.strategies):
        shares = [report.policies[n].per_strategy[strategy].share for n in names]
        ax.bar(x + i * width, shares, width, label=strategy)
    ax.set_xticks(x + width * (len(report.strategies) - 1) / 2, names, rotation=15)
    ax.set_ylabel("share of searches calling the strategy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    _save(figure, path)


def plot_per_intent(report: SimulationReport, path: Path) -> None:
    """success@10 and nDCG@10 per intent type, one bar per policy."""
    figure = Figure(figsize=(11, 4.5))
    axes = figure.subplots(1, 2)
    intents = sorted({t for p in report.policies.values() for t in p.per_intent})
    width = 0.8 / max(len(report.policies), 1)
    x = np.arange(len(intents))
    for ax, (field, label) in zip(
        axes, (("success_at_10", "success@10"), ("ndcg_at_10", "nDCG@10")), strict=True
    ):
        for i, (name, policy) in enumerate(report.policies.items()):
            values = [
                float(getattr(policy.per_intent[t], field)) if t in policy.per_intent else 0.0
                for t in intents
            ]
            ax.bar(x + i * width, values, width, label=name)
        ax.set_xticks(x + width * (len(report.policies) - 1) / 2, intents)
        ax.set_title(f"{label} per intent type")
        ax.set_ylim(0, 1.05)
    axes[0].legend(fontsize=8)
    _save(figure, path)


def plot_strategy_shares_over_time(report: SimulationReport, path: Path) -> None:
    """Per policy whose plans vary, the share of searches calling each strategy per window."""
    varying = [
        (name, policy)
        for name, policy in report.policies.items()
        if any(
            abs(p.strategy_share.get(s, 0.0) - policy.curve[0].strategy_share.get(s, 0.0)) > 1e-9
            for p in policy.curve
            for s in report.strategies
        )
    ] or list(report.policies.items())[:1]
    figure = Figure(figsize=(5 * len(varying), 4))
    axes = figure.subplots(1, len(varying), squeeze=False)[0]
    for ax, (name, policy) in zip(axes, varying, strict=True):
        xs = [p.end for p in policy.curve]
        for strategy in report.strategies:
            ax.plot(xs, [p.strategy_share.get(strategy, 0.0) for p in policy.curve], label=strategy)
        ax.set_title(name)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(f"sessions (window {report.window})")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of searches calling the strategy")
    axes[0].legend(fontsize=8)
    _save(figure, path)


def plot_memory_learning(report: SimulationReport, path: Path) -> None:
    """success@10 over time on head intents typed with a misspelling, one line per policy.

    These are the queries listeners repeat and lexical matching handles worst:
    a rising line is memory learning them from feedback. A policy's memory variants
    (``+memory-frozen``, ``+memory-cold``) share its colour: the gap between them is
    what feedback taught the memory.
    """
    with_memory = "memory" in report.strategies
    figure = Figure(figsize=(13 if with_memory else 7, 4.5))
    axes = figure.subplots(1, 2 if with_memory else 1, squeeze=False)[0]
    styles = line_styles(report)
    for name, policy in report.policies.items():
        style = {"label": name, "color": styles[name].color, "linestyle": styles[name].linestyle}
        points = policy.segment_curves.get(MEMORY_SEGMENT, [])
        axes[0].plot(
            [p.end for p in points],
            [p.success_at_10 for p in points],
            marker="o",
            markersize=3,
            **style,
        )
        if with_memory:
            head = policy.segment_curves.get(HEAD_SEGMENT, [])
            recall = [(p.end, p.strategy_recall.get("memory")) for p in head]
            known = [(end, value) for end, value in recall if value is not None]
            axes[1].plot(
                [end for end, _ in known], [v for _, v in known], marker="o", markersize=3, **style
            )
    axes[0].set_title("success@10 on misspelled head queries")
    if with_memory:
        axes[1].set_title("memory's recall on head intents (searches calling it)")
    for ax in axes:
        ax.set_xlabel(f"sessions (window {report.window})")
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    _save(figure, path)


def _fraction(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _memory_recall_table(report: SimulationReport) -> list[str]:
    """Memory's recall per window and policy (what the memory itself learned)."""
    first = next(iter(report.policies.values()), None)
    if "memory" not in report.strategies or first is None:
        return []
    ends = [p.end for p in first.segment_curves.get(HEAD_SEGMENT, [])]
    if not ends:
        return []
    lines = [
        "| policy | " + " | ".join(str(end) for end in ends) + " |",
        "|---|" + "---:|" * len(ends),
    ]
    for name, policy in report.policies.items():
        values = {
            p.end: p.strategy_recall.get("memory")
            for p in policy.segment_curves.get(HEAD_SEGMENT, [])
        }
        cells = [_fraction(values.get(end)) for end in ends]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _memory_table(report: SimulationReport) -> list[str]:
    first = next(iter(report.policies.values()), None)
    points = first.segment_curves.get(MEMORY_SEGMENT, []) if first else []
    if not points:
        return []
    lines = [
        "| policy | " + " | ".join(f"{p.end}" for p in points) + " |",
        "|---|" + "---:|" * len(points),
    ]
    for name, policy in report.policies.items():
        by_end = {p.end: p for p in policy.segment_curves.get(MEMORY_SEGMENT, [])}
        cells = [
            f"{by_end[p.end].success_at_10:.3f} ({by_end[p.end].sessions})"
            if p.end in by_end
            else "n/a"
            for p in points
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _row(name: str, metrics: Metrics) -> str:
    cells = []
    for field, _, fmt in TABLE_METRICS:
        value = getattr(metrics, field)
        cells.append("n/a" if value is None else fmt.format(value))
    return f"| {name} | {metrics.sessions} | " + " | ".join(cells) + " |"


def _header(first: str) -> list[str]:
    labels = [label for _, label, _ in TABLE_METRICS]
    return [
        f"| {first} | sessions | " + " | ".join(labels) + " |",
        "|---|---:|" + "---:|" * len(labels),
    ]


def markdown(report: SimulationReport) -> str:
    """The report text; images are referenced by their file names."""
    catalog = ", ".join(f"{k} {v}" for k, v in report.catalog.items())
    lines = [
        "# Simulated listeners: policy comparison",
        "",
        f"{report.sessions} sessions per policy, seed {report.seed}, catalog: {catalog}. "
        f"Strategies registered: {', '.join(report.strategies)}; candidate budget "
        f"{report.budget}; results ordered by "
        f"{'RRF' if report.ranker == 'rrf' else f'ranker model {report.ranker}'}. "
        "Every policy met the same listeners, intents and queries (see docs/simulator.md).",
        "",
    ]
    notes = variant_notes(report)
    if notes:
        lines += [" ".join(notes), ""]
    lines += [
        "## Overall",
        "",
        *_header("policy"),
        *(_row(name, p.overall) for name, p in report.policies.items()),
        "",
        "## Per intent type",
        "",
        *_header("policy / intent"),
    ]
    for name, policy in report.policies.items():
        lines += [_row(f"{name} / {t}", m) for t, m in policy.per_intent.items()]
    lines += ["", "## Head and tail intents", "", *_header("policy / segment")]
    for name, policy in report.policies.items():
        lines += [_row(f"{name} / {s}", m) for s, m in policy.per_segment.items() if m.sessions]
    lines += [
        "",
        "## Strategies",
        "",
        "| policy | strategy | share | recall when called | mean drawn |",
        "|---|---|---:|---:|---:|",
    ]
    for name, policy in report.policies.items():
        for strategy, s in policy.per_strategy.items():
            recall = "n/a" if s.recall is None else f"{s.recall:.3f}"
            lines.append(f"| {name} | {strategy} | {s.share:.3f} | {recall} | {s.mean_drawn:.1f} |")
    memory = _memory_table(report)
    if memory:
        lines += [
            "",
            "## Misspelled head queries over time",
            "",
            "success@10 per window of sessions (in parentheses: how many of the window's "
            "sessions were head intents typed with a misspelling); what memory learns "
            "from feedback shows here first.",
            "",
            *memory,
        ]
    memory_recall = _memory_recall_table(report)
    if memory_recall:
        lines += [
            "",
            "## Memory's recall on head intents over time",
            "",
            "Per window of sessions, among head-intent searches calling memory (the needs "
            "many listeners share, which memory can learn), the share in which an intended "
            "entity was among memory's candidates: what the memory itself learned "
            "(`+memory-cold` starts from nothing but feedback).",
            "",
            *memory_recall,
        ]
    curve = ", ".join(f"{p:.3f}" for p in report.examination_curve)
    lines += [
        "",
        "## Plots",
        "",
        "![learning curves](learning_curves.png)",
        "",
        "![strategy shares](strategy_shares.png)",
        "",
        "![per intent](per_intent.png)",
        "",
        "![misspelled head queries](memory_learning.png)",
        "",
        "![strategy shares over time](strategy_shares_over_time.png)",
        "",
        "## Run",
        "",
        "| policy | seconds | ms per session |",
        "|---|---:|---:|",
        *(
            f"| {name} | {p.seconds:.1f} | {p.ms_per_session:.1f} |"
            for name, p in report.policies.items()
        ),
        "",
        f"True examination probabilities at ranks 1..{len(report.examination_curve)}: {curve}.",
        "",
    ]
    return "\n".join(lines)


def write_report(report: SimulationReport, directory: Path) -> list[Path]:
    """Write ``report.md`` and its PNG plots into ``directory``; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    files = [
        directory / "learning_curves.png",
        directory / "strategy_shares.png",
        directory / "per_intent.png",
        directory / "memory_learning.png",
        directory / "strategy_shares_over_time.png",
    ]
    plot_learning_curves(report, files[0])
    plot_strategy_shares(report, files[1])
    plot_per_intent(report, files[2])
    plot_memory_learning(report, files[3])
    plot_strategy_shares_over_time(report, files[4])
    text = directory / "report.md"
    text.write_text(markdown(report), encoding="utf-8")
    return [text, *files]
