"""Runs kept in an output folder: one summary line per run, and a chart of them over time."""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from eval.summary import HEADLINE

HISTORY = "history.jsonl"
CHART = "chart.png"
_SHOWN = 20  # older runs crowd the axis without telling more


def append_history(out: Path, entry: dict) -> list[dict]:
    """Add this run's summary; return every run recorded in ``out``, oldest first."""
    path = out / HISTORY
    out.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as history:
        history.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def draw_chart(history: list[dict], path: Path, title: str) -> None:
    """One small panel per headline metric over the runs, the latest run on the right and in the title.

    Separate panels because several metrics often sit on the same value and would hide each other.
    """
    runs = history[-_SHOWN:]
    names = [n for n in HEADLINE if any(run["metrics"].get(n) is not None for run in runs)]
    columns = 3
    figure = Figure(figsize=(11, 2.3 * max(1, -(-len(names) // columns)) + 0.8), layout="constrained")
    FigureCanvasAgg(figure)  # plain Agg: no display, no global pyplot state
    figure.suptitle(f"{title} (latest: {_label(runs[-1])})")
    xs = list(range(1, len(runs) + 1))
    configs = [_config(run) for run in runs]
    for i, name in enumerate(names, start=1):
        values = [float("nan") if v is None else v for v in (run["metrics"].get(name) for run in runs)]
        axes = figure.add_subplot(-(-len(names) // columns), columns, i)
        axes.plot(xs, values, color="lightgrey", zorder=1)
        # One output folder may hold runs of several retrievers: colour tells them apart.
        for config in dict.fromkeys(configs):
            mine = [(x, v) for x, v, c in zip(xs, values, configs, strict=True) if c == config]
            axes.scatter(*zip(*mine, strict=True), label=config, zorder=2)
        axes.set_title(f"{name}: {_latest(runs[-1]['metrics'].get(name))}", fontsize=10)
        axes.set_ylim(-0.02, 1.02)
        axes.set_xticks(xs)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
    figure.supxlabel("run (oldest to latest, as in history.jsonl)", fontsize=9)
    if names:
        figure.legend(*axes.get_legend_handles_labels(), loc="outside lower right", fontsize=8)
    figure.savefig(path, dpi=90)


def _latest(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _config(run: dict) -> str:
    return f"{run['retriever']}/{run['backend']}"


def _label(run: dict) -> str:
    return f"{run['finished'].replace('T', ' ')}, {_config(run)}, {run['questions']} questions"
