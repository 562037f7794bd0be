"""Small inline SVG charts rendered on the server (no JavaScript, no CDN).

Each function returns SVG markup as :class:`markupsafe.Markup`; every label
is escaped here, and colours are presentation attributes (allowed by the
strict CSP, unlike inline ``style``). Each chart carries a ``<title>`` and
``role="img"`` for screen readers, and the pages show the numbers as a table
next to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f6f8b", "#e07a5f", "#3d405b", "#81b29a", "#f2cc8f", "#6d597a", "#b56576",
           "#457b9d", "#2a9d8f", "#e9c46a", "#8d99ae")  # fmt: skip
W, H, PAD = 640, 260, 40


def _svg(title: str, body: str, height: int = H) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{body}</svg>'
    )


def stacked_bars(title: str, months: Sequence[str], series: dict[str, Sequence[int]]) -> Markup:
    """Stacked columns: one per month, one colour per series (e.g. churn reason)."""
    if not months:
        return _svg(title, "")
    totals = [sum(values[i] for values in series.values()) for i in range(len(months))]
    top = max(totals) or 1
    slot = (W - 2 * PAD) / len(months)
    bar = max(4.0, slot * 0.6)
    parts: list[str] = []
    for i, month in enumerate(months):
        x = PAD + i * slot + (slot - bar) / 2
        y = float(H - PAD)
        for s, (name, values) in enumerate(series.items()):
            h = (H - 2 * PAD) * values[i] / top
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(name)}: {values[i]}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{H - PAD + 16}" text-anchor="middle" '
            f'font-size="11">{escape(month)}</text>'
        )
    legend_y = 14
    for s, name in enumerate(series):
        lx = PAD + (s % 4) * 150
        ly = legend_y + (s // 4) * 14
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" '
            f'fill="{PALETTE[s % len(PALETTE)]}"/><text x="{lx + 14}" y="{ly}" '
            f'font-size="11">{escape(name)}</text>'
        )
    return _svg(title, "".join(parts))


def share_bar(title: str, parts: Sequence[tuple[str, float]]) -> Markup:
    """One horizontal 100 % bar split into labelled shares (0..1)."""
    x = float(PAD)
    out: list[str] = []
    for i, (label, share) in enumerate(parts):
        width = (W - 2 * PAD) * max(share, 0.0)
        if width > 0:
            out.append(
                f'<rect x="{x:.1f}" y="20" width="{width:.1f}" height="40" '
                f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            )
            out.append(
                f'<text x="{x + 6:.1f}" y="80" font-size="12">'
                f"{escape(label)} {share * 100:.0f} %</text>"
            )
        x += width
    return _svg(title, "".join(out), height=100)


def funnel(title: str, stages: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, widest first: planned → called → follow-up → reactivated."""
    top = max((count for _, count in stages), default=0) or 1
    row = 44
    out: list[str] = []
    for i, (label, count) in enumerate(stages):
        width = max(2.0, (W - 2 * PAD - 140) * count / top)
        y = 10 + i * row
        x = PAD + 140 + ((W - 2 * PAD - 140) - width) / 2
        out.append(
            f'<text x="{PAD}" y="{y + 24}" font-size="13">{escape(label)}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="34" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{x + width / 2:.1f}" y="{y + 22}" font-size="13" fill="#fff" '
            f'text-anchor="middle">{count}</text>'
        )
    return _svg(title, "".join(out), height=20 + row * len(stages))


def pareto(title: str, points: Sequence[tuple[int, float]], cutoff_rank: int) -> Markup:
    """Cumulative share of expected value over the number of calls, with the cut-off."""
    if not points:
        return _svg(title, "")
    last = max(rank for rank, _ in points) or 1

    def xy(rank: float, share: float) -> tuple[float, float]:
        return PAD + (W - 2 * PAD) * rank / last, H - PAD - (H - 2 * PAD) * share

    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
        for i, (x, y) in enumerate(xy(r, s) for r, s in [(0, 0.0), *points])
    )
    cx, _ = xy(cutoff_rank, 0)
    out = [
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#888"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>',
        f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>',
        f'<line x1="{cx:.1f}" y1="{PAD}" x2="{cx:.1f}" y2="{H - PAD}" stroke="{PALETTE[1]}" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{cx + 4:.1f}" y="{PAD + 12}" font-size="11">{cutoff_rank}</text>',
        f'<text x="{PAD}" y="{H - 8}" font-size="11">0</text>',
        f'<text x="{W - PAD}" y="{H - 8}" font-size="11" text-anchor="end">{last}</text>',
        f'<text x="{PAD - 4}" y="{PAD + 4}" font-size="11" text-anchor="end">100%</text>',
    ]
    return _svg(title, "".join(out))
