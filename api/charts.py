"""Small inline SVG charts rendered on the server (no JavaScript, no CDN).

Each function returns markup as :class:`markupsafe.Markup`; every label is
escaped here, and colours are presentation attributes (allowed by the strict
CSP, unlike inline ``style``). Each chart carries a ``<title>`` and
``role="img"`` for screen readers, and the pages show the numbers as a table
next to it. A chart with nothing to show returns empty markup, so a template
tests it with ``{% if %}`` and shows its empty state instead of a blank box.

Readability on a phone: the SVG is drawn at :data:`W` user units and the
stylesheet never shrinks it below that width (its wrapper scrolls instead),
so :data:`FONT` units are at least ``FONT`` CSS pixels on every screen.
Legends are HTML lists under the chart: long German names wrap there instead
of running into each other inside the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f6f8b", "#c8553d", "#3d405b", "#2a7d5f", "#b8860b", "#6d597a", "#a23b5d",
           "#457b9d", "#1d7874", "#8a6d1d", "#5c677d")  # fmt: skip
#: Drawing width in user units; the stylesheet keeps ``svg.chart`` at least this wide.
W = 520
#: Text size in user units (= CSS px at the minimum width); WCAG asks for legible text.
FONT = 13
H, PAD, LEFT = 260, 36, 52


def _svg(title: str, body: str, height: int = H) -> Markup:
    return Markup(
        # A region that may scroll sideways on a phone: focusable, so a keyboard can scroll it.
        f'<div class="chart-wrap" tabindex="0" role="region" aria-label="{escape(title)}">'
        f'<svg class="chart" viewBox="0 0 {W} {height}" '
        f'width="{W}" role="img" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg></div>"
    )


def _text(x: float, y: float, text: object, anchor: str = "start", **extra: str) -> str:
    attrs = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}"{attrs}>'
        f"{escape(str(text))}</text>"
    )


def legend(names: Sequence[str]) -> Markup:
    """An HTML legend: one coloured key per series, in the chart's order."""
    # Colour keys are classes (app.css), since the CSP allows no inline style.
    items = "".join(
        f'<li><span class="key key-{i % len(PALETTE)}" aria-hidden="true"></span>'
        f"{escape(name)}</li>"
        for i, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')


def stacked_bars(
    title: str,
    months: Sequence[str],
    series: dict[str, Sequence[int]],
    *,
    x_title: str = "",
    y_title: str = "",
) -> Markup:
    """Stacked columns: one per month, one colour per series (e.g. churn reason)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(months))]
    if not months or not any(totals):
        return Markup("")
    top = max(totals)
    plot_h = H - 2 * PAD
    slot = (W - LEFT - PAD / 2) / len(months)
    bar = max(4.0, slot * 0.6)
    base = float(H - PAD)
    parts = [
        f'<line x1="{LEFT}" y1="{base}" x2="{W - PAD / 2}" y2="{base}" stroke="#666"/>',
        f'<line x1="{LEFT}" y1="{PAD}" x2="{LEFT}" y2="{base}" stroke="#666"/>',
        _text(LEFT - 6, base + 4, 0, "end"),
        _text(LEFT - 6, PAD + 4, top, "end"),
    ]
    # Every month is labelled while they fit; with many months every k-th one is.
    every = max(1, math.ceil(len(months) * 58 / (W - LEFT)))
    for i, month in enumerate(months):
        x = LEFT + i * slot + (slot - bar) / 2
        y = base
        for s, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / top
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(name)} ({escape(month)}): {values[i]}</title></rect>"
            )
        if i % every == 0:
            parts.append(_text(x + bar / 2, base + 18, month, "middle"))
    if x_title:
        parts.append(_text(LEFT + (W - LEFT) / 2, H - 2, x_title, "middle", fill="#333"))
    if y_title:  # over the axis, read horizontally
        parts.append(_text(8, PAD - 14, y_title, fill="#333"))
    return Markup(_svg(title, "".join(parts)) + legend(list(series)))


def share_bar(title: str, parts: Sequence[tuple[str, float]]) -> Markup:
    """One horizontal 100 % bar split into shares (0..1); the legend names them."""
    if not any(share > 0 for _, share in parts):
        return Markup("")
    x = float(PAD)
    out: list[str] = []
    for i, (label, share) in enumerate(parts):
        width = (W - 2 * PAD) * max(share, 0.0)
        if width > 0:
            out.append(
                f'<rect x="{x:.1f}" y="12" width="{width:.1f}" height="40" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: '
                f"{share * 100:.0f} %</title></rect>"
            )
            if width >= 48:  # the number inside its part, where it fits
                out.append(_text(x + width / 2, 37, f"{share * 100:.0f} %", "middle", fill="#fff"))
        x += width
    names = [f"{label} {share * 100:.0f} %" for label, share in parts]
    return Markup(_svg(title, "".join(out), height=64) + legend(names))


def funnel(title: str, stages: Sequence[tuple[str, int]], *, scale_note: str = "") -> Markup:
    """Horizontal bars, widest first: planned → called → follow-up → reactivated.

    Bar lengths follow ``log(1 + count)``: a plan of 400 accounts next to 3
    reactivations would leave the last stages as invisible slivers on a
    linear scale. Every bar carries its count, and ``scale_note`` says so.
    """
    top = max((count for _, count in stages), default=0)
    if top <= 0:
        return Markup("")
    label_w = 150
    span = W - PAD - label_w - 10
    row = 40
    out: list[str] = []
    for i, (label, count) in enumerate(stages):
        width = max(3.0, span * math.log1p(count) / math.log1p(top))
        y = 8 + i * row
        x = label_w + 10
        out.append(_text(label_w, y + 21, label, "end"))
        out.append(
            f'<rect x="{x}" y="{y}" width="{width:.1f}" height="30" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {count}</title></rect>'
        )
        inside = width >= 44
        out.append(
            _text(x + (width - 6 if inside else width + 6), y + 21, count,
                  "end" if inside else "start", fill="#fff" if inside else "#222")
        )  # fmt: skip
    height = 16 + row * len(stages)
    if scale_note:
        out.append(_text(W - PAD, height + 4, scale_note, "end", fill="#444"))
        height += 12
    return _svg(title, "".join(out), height=height)


def pareto(
    title: str,
    points: Sequence[tuple[int, float]],
    cutoff_rank: int,
    *,
    x_title: str = "",
    y_title: str = "",
) -> Markup:
    """Cumulative share of expected value over the number of calls, with the cut-off."""
    if not points:
        return Markup("")
    last = max(rank for rank, _ in points) or 1
    plot_h = H - 2 * PAD

    def xy(rank: float, share: float) -> tuple[float, float]:
        return LEFT + (W - LEFT - PAD / 2) * rank / last, H - PAD - plot_h * share

    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
        for i, (x, y) in enumerate(xy(r, s) for r, s in [(0, 0.0), *points])
    )
    cx, _ = xy(cutoff_rank, 0)
    out = [
        f'<line x1="{LEFT}" y1="{H - PAD}" x2="{W - PAD / 2}" y2="{H - PAD}" stroke="#666"/>',
        f'<line x1="{LEFT}" y1="{PAD}" x2="{LEFT}" y2="{H - PAD}" stroke="#666"/>',
        f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>',
        f'<line x1="{cx:.1f}" y1="{PAD}" x2="{cx:.1f}" y2="{H - PAD}" stroke="{PALETTE[1]}" '
        'stroke-dasharray="4 3"/>',
        _text(cx + 4, PAD + 12, cutoff_rank),
        _text(LEFT, H - PAD + 18, 0, "middle"),
        _text(W - PAD / 2, H - PAD + 18, last, "end"),
        _text(LEFT - 6, PAD + 4, "100 %", "end"),
        _text(LEFT - 6, H - PAD + 4, "0", "end"),
    ]
    if x_title:
        out.append(_text(LEFT + (W - LEFT) / 2, H - 2, x_title, "middle", fill="#333"))
    if y_title:  # over the axis, read horizontally
        out.append(_text(8, PAD - 14, y_title, fill="#333"))
    return _svg(title, "".join(out))
