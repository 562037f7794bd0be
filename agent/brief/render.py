"""Rendering a brief as Markdown, HTML (every CRM-derived string escaped) and JSON."""

from __future__ import annotations

import html
import json
from typing import Any

from agent.brief.schema import RULES_MODEL, Brief, Claim

HEAD: dict[str, dict[str, str]] = {
    "de": {
        "title": "Gesprächsvorbereitung",
        "as_of": "Stand",
        "call": "Anrufen?",
        "yes": "Ja",
        "no": "Nein",
        "rank": "Rang im Plan",
        "situation": "Lage",
        "facts": "Fakten",
        "reasons": "Wahrscheinliche Gründe (Hypothesen)",
        "code": "Grund",
        "confidence": "Konfidenz",
        "evidence": "Belege",
        "opening": "Eröffnungsfrage",
        "points": "Gesprächspunkte",
        "objections": "Mögliche Einwände",
        "answer": "Antwort",
        "incentive": "Anreiz",
        "avoid": "Vermeiden",
        "flags": "Hinweise der Prüfung",
        "footer": "Erstellt von {model} am {created}. Quellen in [eckigen Klammern].",
        "by_code": "Aus den CRM-Daten berechnet, nicht vom Sprachmodell: {parts}.",
    },
    "en": {
        "title": "Call brief",
        "as_of": "As of",
        "call": "Call?",
        "yes": "Yes",
        "no": "No",
        "rank": "Plan rank",
        "situation": "Situation",
        "facts": "Key facts",
        "reasons": "Likely churn reasons (hypotheses)",
        "code": "Reason",
        "confidence": "Confidence",
        "evidence": "Evidence",
        "opening": "Opening question",
        "points": "Talking points",
        "objections": "Likely objections",
        "answer": "Answer",
        "incentive": "Incentive",
        "avoid": "Avoid",
        "flags": "Grounding check notes",
        "footer": "Written by {model} on {created}. Sources in [square brackets].",
        "by_code": "Computed from the CRM data, not by the language model: {parts}.",
    },
}


def cite(sources: list[str], limit: int = 4) -> str:
    """Compact citation: ``[order:1, order:2, … +10]``."""
    if not sources:
        return ""
    shown = ", ".join(sources[:limit])
    more = f", … +{len(sources) - limit}" if len(sources) > limit else ""
    return f" [{shown}{more}]"


def _line(claim: Claim) -> str:
    return f"{claim.text}{cite(claim.sources)}"


def to_markdown(brief: Brief) -> str:
    """The brief as Markdown for the terminal and the CRM record."""
    h = HEAD[brief.language]
    out = [f"# {h['title']}: {brief.account_name} ({brief.account_external_id})", ""]
    out.append(f"**{h['as_of']}:** {brief.as_of.isoformat()}  ")
    out.append(
        f"**{h['call']}** {h['yes'] if brief.should_call else h['no']} – {brief.call_reason}"
    )
    if brief.plan_rank is not None:
        score = f" (score {brief.plan_score:.2f})" if brief.plan_score is not None else ""
        out[-1] += "  "
        out.append(f"**{h['rank']}:** {brief.plan_rank}{score}")
    out += ["", f"## {h['situation']}", ""]
    out += [f"{_line(c)}" for c in brief.situation]
    if brief.opening_question:
        out += ["", f"## {h['opening']}", "", f"> {brief.opening_question.text}"]
    if brief.talking_points:
        out += ["", f"## {h['points']}", ""] + [f"- {_line(c)}" for c in brief.talking_points]
    if brief.objections:
        out += ["", f"## {h['objections']}", ""]
        for o in brief.objections:
            out.append(f"- **{o.objection}** ({o.strategy})  \n  {h['answer']}: {o.answer}")
    if brief.incentive:
        out += ["", f"## {h['incentive']}", "", _line(brief.incentive)]
    if brief.avoid:
        out += ["", f"## {h['avoid']}", ""] + [f"- {_line(c)}" for c in brief.avoid]
    if brief.churn_hypotheses:
        out += [
            "",
            f"## {h['reasons']}",
            "",
            f"| {h['code']} | {h['confidence']} | {h['evidence']} |",
            "|---|---|---|",
        ]
        for hyp in brief.churn_hypotheses:
            ev = "; ".join(
                f"{(e.day.isoformat() + ' ') if e.day else ''}„{e.quote}“ [{e.source}]"
                for e in hyp.evidence[:3]
            ).replace("|", "\\|")
            out.append(f"| {hyp.code} ({hyp.group}) | {hyp.confidence:.2f} | {ev} |")
    out += ["", f"## {h['facts']}", ""] + [
        f"- {f.id}: {f.text}{cite(f.sources)}" for f in brief.key_facts
    ]
    if brief.flags:
        out += ["", f"## {h['flags']}", ""] + [f"- {f.part}: {f.reason}" for f in brief.flags]
    out += ["", "---", footer(brief)]
    return "\n".join(out) + "\n"


def footer(brief: Brief) -> str:
    """Who wrote the brief and when, and which sentence parts code wrote."""
    h = HEAD[brief.language]
    created = brief.created_at.strftime("%Y-%m-%d %H:%M UTC")
    text = h["footer"].format(model=brief.model, created=created)
    by_code = [h[_PART_HEAD[p]] for p, who in brief.authored.items() if who == "code"]
    if by_code and brief.model != RULES_MODEL:
        text += " " + h["by_code"].format(parts=", ".join(by_code))
    return text


_PART_HEAD = {"situation": "situation", "opening_question": "opening", "talking_points": "points"}


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def to_html(brief: Brief) -> str:
    """The brief as a self-contained HTML fragment; every text is escaped."""
    h = HEAD[brief.language]

    def items(claims: list[Claim]) -> str:
        return "".join(f"<li>{_e(c.text)}<small>{_e(cite(c.sources))}</small></li>" for c in claims)

    parts = [
        f'<article class="brief" lang="{_e(brief.language)}">',
        f"<h1>{_e(h['title'])}: {_e(brief.account_name)} ({_e(brief.account_external_id)})</h1>",
        f"<p><b>{_e(h['as_of'])}:</b> {_e(brief.as_of.isoformat())}<br>"
        f"<b>{_e(h['call'])}</b> {_e(h['yes'] if brief.should_call else h['no'])} – "
        f"{_e(brief.call_reason)}</p>",
        f"<h2>{_e(h['situation'])}</h2><ul>{items(brief.situation)}</ul>",
    ]
    if brief.opening_question:
        parts.append(
            f"<h2>{_e(h['opening'])}</h2><blockquote>{_e(brief.opening_question.text)}</blockquote>"
        )
    if brief.talking_points:
        parts.append(f"<h2>{_e(h['points'])}</h2><ul>{items(brief.talking_points)}</ul>")
    if brief.objections:
        rows = "".join(
            f"<li><b>{_e(o.objection)}</b> <i>({_e(o.strategy)})</i><br>{_e(o.answer)}</li>"
            for o in brief.objections
        )
        parts.append(f"<h2>{_e(h['objections'])}</h2><ul>{rows}</ul>")
    if brief.incentive:
        parts.append(f"<h2>{_e(h['incentive'])}</h2><p>{_e(brief.incentive.text)}</p>")
    if brief.avoid:
        parts.append(f"<h2>{_e(h['avoid'])}</h2><ul>{items(brief.avoid)}</ul>")
    if brief.churn_hypotheses:
        rows = "".join(
            f"<tr><td>{_e(x.code)}</td><td>{x.confidence:.2f}</td><td>"
            + "<br>".join(f"„{_e(e.quote)}“ [{_e(e.source)}]" for e in x.evidence[:3])
            + "</td></tr>"
            for x in brief.churn_hypotheses
        )
        parts.append(f"<h2>{_e(h['reasons'])}</h2><table>{rows}</table>")
    facts = "".join(
        f"<li>{_e(f.id)}: {_e(f.text)}<small>{_e(cite(f.sources))}</small></li>"
        for f in brief.key_facts
    )
    parts.append(f"<h2>{_e(h['facts'])}</h2><ul>{facts}</ul>")
    if brief.flags:
        flags = "".join(f"<li>{_e(f.part)}: {_e(f.reason)}</li>" for f in brief.flags)
        parts.append(f"<h2>{_e(h['flags'])}</h2><ul>{flags}</ul>")
    parts.append(f"<footer>{_e(footer(brief))}</footer>")
    parts.append("</article>")
    return "\n".join(parts) + "\n"


def to_json(brief: Brief) -> str:
    """The brief as JSON (the ``winback brief --json`` contract)."""
    return json.dumps(brief.model_dump(mode="json"), ensure_ascii=False, indent=2)
