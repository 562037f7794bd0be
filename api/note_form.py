"""The review form of a draft note: what the editor shows, and the edit a posted form asks for.

The note page edits every field of a draft in one plain HTML form (it works
without JavaScript): the summary, the outcome (no choice made for the
reviewer when the analysis was not sure), the churn reasons as a checklist
of the catalogue's reasons each with its evidence quote, the next steps as
rows (type, owner, description, due date), expectations and sentiment.

:func:`editor_from_note` builds the form from the stored analysis;
:func:`editor_from_form` rebuilds it from a posted form, so a form with
errors is shown again with everything the reviewer typed;
:func:`changes_from_editor` turns it into the ``changes`` of
:func:`agent.analysis.review.edit`, with every field that differs from the
stored value and nothing else. Problems are reported by form key
(``reason.price_terms.evidence``, ``step.2.due``) so the page shows each
next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent.catalogue.vocabulary import vocabulary
from agent.codes import REASON_CODES, STEP_TYPES
from agent.errors import FieldErrors

SENTIMENTS = ("positive", "neutral", "negative", "mixed")
OWNERS = ("rep", "customer")
#: Rows a form may carry: the analysis allows 8 steps, the rest are blank or candidates.
MAX_ROWS = 16


@dataclass
class ReasonRow:
    """One reason of the checklist."""

    code: str
    checked: bool = False
    evidence: str = ""
    #: The analysis's probability when it proposed the reason without deciding.
    suggested: float | None = None
    confidence: float | None = None
    turn: int | None = None


@dataclass
class StepRow:
    """One row of the next steps: a stored step, a proposed one, or a blank row to add one."""

    key: int
    kind: str = "row"  # "row" (stored), "candidate" (proposed, taken when ticked), "blank"
    type: str = ""
    owner: str = "rep"
    description: str = ""
    due: str = ""
    remove: bool = False
    take: bool = False
    #: Index of the stored step the row started from (keeps its turn, phrase and confidence).
    src: int | None = None
    suggested: float | None = None


@dataclass
class Editor:
    """Every editable value of a draft as the form shows it, with problems by form key."""

    summary: str = ""
    outcome: str = ""
    outcome_suggested: dict[str, float] = field(default_factory=dict)
    reasons: list[ReasonRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    expectations: str = ""
    sentiment: str = ""
    #: The approval comment, kept when the form comes back with problems.
    comment: str = ""
    errors: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def error(self, key: str) -> list[tuple[str, str]]:
        """The (code, message) problems of one form key."""
        return self.errors.get(key, [])


def default_due_days() -> dict[str, int]:
    """Working days until a step without a spoken date is due, per step type."""
    return dict(vocabulary().step_due_days)


def editor_from_note(note: dict[str, Any]) -> Editor:
    """The form of a note: :func:`api.services.notes.note_detail` as JSON-ready data."""
    open_fields = {u["field"]: u["candidates"] for u in note.get("uncertain") or []}
    stored = {r["code"]: r for r in note.get("churn_reasons") or []}
    proposed = {c["code"]: c for c in open_fields.get("churn_reasons", [])}
    reasons = []
    for code in REASON_CODES:
        if code in stored:
            r = stored[code]
            reasons.append(
                ReasonRow(
                    code, True, r.get("evidence") or "", None, r.get("confidence"), r.get("turn")
                )  # fmt: skip
            )
        else:
            c = proposed.get(code)
            reasons.append(
                ReasonRow(
                    code,
                    False,
                    (c or {}).get("evidence") or "",
                    c["probability"] if c else None,
                    None,
                    (c or {}).get("turn"),
                )  # fmt: skip
            )
    steps: list[StepRow] = []
    for i, s in enumerate(note.get("next_steps") or []):
        if s["type"] == "none":
            continue
        steps.append(
            StepRow(
                len(steps),
                "row",
                s["type"],
                s.get("owner") or "rep",
                s.get("description") or "",
                s.get("due_date") or "",
                src=i,
            )  # fmt: skip
        )
    for c in open_fields.get("next_steps", []):
        steps.append(
            StepRow(
                len(steps),
                "candidate",
                c["code"],
                "rep",
                c.get("evidence") or "",
                suggested=c["probability"],
            )  # fmt: skip
        )
    steps.append(StepRow(len(steps), "blank"))
    return Editor(
        summary=note.get("summary") or "",
        outcome=note.get("outcome") or "",
        outcome_suggested={c["code"]: c["probability"] for c in open_fields.get("outcome", [])},
        reasons=reasons,
        steps=steps,
        expectations=note.get("expectations") or "",
        sentiment=note.get("sentiment") or "",
    )


def editor_from_form(note: dict[str, Any], form: dict[str, str]) -> Editor:
    """The form as posted (the stored note gives what the form does not carry)."""
    editor = editor_from_note(note)
    editor.summary = form.get("summary", editor.summary)
    editor.outcome = form.get("outcome", "") or editor.outcome
    editor.expectations = form.get("expectations", editor.expectations)
    editor.sentiment = form.get("sentiment", editor.sentiment)
    editor.comment = form.get("comment", "")
    # A form that does not carry the checklist or the rows (an older page, a script posting
    # only the summary) leaves the stored reasons and steps alone.
    if form.get("reasons_in_form") == "1":
        for row in editor.reasons:
            row.checked = form.get(f"reason.{row.code}") == "1"
            row.evidence = form.get(f"reason.{row.code}.evidence", row.evidence)
    if form.get("steps_in_form") != "1":
        return editor
    rows: list[StepRow] = []
    for key in range(MAX_ROWS):
        prefix = f"step.{key}."
        if prefix + "kind" not in form:
            continue
        src = form.get(prefix + "src", "")
        kind = form[prefix + "kind"]
        rows.append(
            StepRow(
                key=len(rows),
                kind=kind if kind in ("row", "candidate") else "blank",
                type=form.get(prefix + "type", ""),
                owner=form.get(prefix + "owner", "rep"),
                description=form.get(prefix + "description", ""),
                due=form.get(prefix + "due", "").strip(),
                remove=form.get(prefix + "remove") == "1",
                take=form.get(prefix + "take") == "1",
                src=int(src) if src.isdigit() else None,
                suggested=next(
                    (
                        s.suggested
                        for s in editor.steps
                        if s.kind == "candidate" and s.type == form.get(prefix + "type")
                    ),
                    None,
                ),  # fmt: skip
            )
        )
    if form.get("action") == "add_step" and len(rows) < MAX_ROWS:
        rows.append(StepRow(len(rows), "blank"))
    editor.steps = rows
    return editor


def _strip(value: str) -> str:
    return value.replace("\r\n", "\n").strip()


def changes_from_editor(
    editor: Editor, note: dict[str, Any], *, approving: bool = False
) -> dict[str, Any]:
    """The fields of the form that differ from the note, as ``review.edit`` changes.

    Raises :class:`FieldErrors` (by form key) for values no edit could store:
    an unknown code, a date that is not one, a due date before the call, and
    when ``approving``, no outcome.
    """
    problems: list[tuple[str, str, str]] = []
    changes: dict[str, Any] = {}
    if _strip(editor.summary) != (note.get("summary") or ""):
        changes["summary"] = _strip(editor.summary)
    if editor.outcome and editor.outcome != (note.get("outcome") or ""):
        changes["outcome"] = editor.outcome
    for name in ("expectations", "sentiment"):
        value = _strip(getattr(editor, name))
        if value != (note.get(name) or ""):
            changes[name] = value or None
    if approving and not editor.outcome:
        problems.append(("outcome", "outcome_required", "Choose the outcome before approving."))
    if editor.sentiment and editor.sentiment not in SENTIMENTS:
        problems.append(("sentiment", "invalid_choice", "Unknown sentiment."))

    stored = {r["code"]: r for r in note.get("churn_reasons") or []}
    order = [c for c in stored] + [c for c in REASON_CODES if c not in stored]
    checked = {r.code: r for r in editor.reasons if r.checked}
    reasons = []
    for code in order:
        if code not in checked:
            continue
        quote = _strip(checked[code].evidence) or None
        if code in stored:
            old = dict(stored[code])
            if quote != old.get("evidence"):
                old.update(evidence=quote, turn=None)
            reasons.append(old)
        else:
            # A reason the reviewer ticks is decided by a person: certain.
            reasons.append({"code": code, "evidence": quote, "confidence": 1.0})
    if reasons != list(note.get("churn_reasons") or []):
        changes["churn_reasons"] = reasons

    call_day = note.get("call_date")
    current = [s for s in note.get("next_steps") or [] if s["type"] != "none"]
    steps: list[dict[str, Any]] = []
    for row in editor.steps:
        if not _kept(row):
            continue
        key = f"step.{row.key}"
        if row.type not in STEP_TYPES or row.type == "none":
            problems.append((f"{key}.type", "invalid_choice", "Choose the type of the step."))
            continue
        if row.owner not in OWNERS:
            problems.append((f"{key}.owner", "invalid_choice", "Choose who does the step."))
        due: str | None = None
        if row.due:
            try:
                day = date.fromisoformat(row.due)
            except ValueError:
                problems.append((f"{key}.due", "invalid_date", "Not a date (YYYY-MM-DD)."))
                continue
            if call_day and day < date.fromisoformat(call_day):
                problems.append((f"{key}.due", "due_before_call", "The date is before the call."))
            due = day.isoformat()
        original = (
            dict(note["next_steps"][row.src])
            if row.kind == "row" and row.src is not None and row.src < len(note["next_steps"])
            else {"confidence": None, "turn": None, "due_phrase": None}
        )
        step = {**original, "type": row.type, "owner": row.owner,
                "description": _strip(row.description), "due_date": due}  # fmt: skip
        if due != original.get("due_date"):
            step["due_phrase"] = None
        if row.type != original.get("type"):
            step["confidence"] = None
        steps.append(step)
    if problems:
        raise FieldErrors(problems)
    if steps != current:
        changes["next_steps"] = steps
    return changes


def form_key(api_field: str, changes: dict[str, Any], editor: Editor) -> str:
    """The form key of a problem ``review.edit`` reported by the path of its value."""
    parts = api_field.split(".")
    if parts[0] == "churn_reasons" and len(parts) > 1 and parts[1].isdigit():
        reasons = changes.get("churn_reasons") or []
        i = int(parts[1])
        if i < len(reasons):
            return f"reason.{reasons[i]['code']}" + (".evidence" if "evidence" in parts else "")
        return "reasons"
    if parts[0] == "next_steps" and len(parts) > 1 and parts[1].isdigit():
        kept = [r for r in editor.steps if _kept(r)]
        i = int(parts[1])
        if i < len(kept):
            name = {"due_date": "due"}.get(parts[2], parts[2]) if len(parts) > 2 else "type"
            return f"step.{kept[i].key}.{name}"
        return "steps"
    return parts[0]


def _kept(row: StepRow) -> bool:
    return {"row": not row.remove, "candidate": row.take and not row.remove,
            "blank": bool(row.type) and not row.remove}.get(row.kind, False)  # fmt: skip


def attach_errors(editor: Editor, exc: FieldErrors, changes: dict[str, Any] | None) -> Editor:
    """Put the problems of ``exc`` on the editor by form key."""
    for where, code, message in exc.problems:
        key = form_key(where, changes, editor) if changes is not None else where
        editor.errors.setdefault(key, []).append((code, message))
    return editor
