"""A small two-tenant world for API tests, written with the real ORM into a real database.

Tenant ``acme``: reps ``rep1`` and ``rep2``, ``boss`` (manager), ``root``
(admin); each rep owns one account that carries a brief, a recording with a
transcript, a draft note and a task. Tenant ``other``: the same shapes with
``orep``/``oboss``. Every user's password is :data:`PASSWORD`; every user
also has an API token (``World.tokens[username]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from agent.analysis.schema import CallAnalysis
from agent.auth import create_token, hash_password
from agent.crm.db import Store
from agent.crm.models import CallOutcome, NextStepType, NoteStatus, Role, Tenant, User
from tests import factories as make

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)  # once: scrypt is slow on purpose

QUOTE = "die Lieferungen kamen dauernd zu spät"


@dataclass
class Objects:
    """Ids of one rep's objects."""

    account: int
    brief: int
    recording: str
    note: int
    task: int


@dataclass
class World:
    """Ids and tokens of the seeded world."""

    tenants: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    objects: dict[str, Objects] = field(default_factory=dict)  # by owning rep


def analysis(outcome: str = "follow_up") -> dict:
    """A valid stored analysis with one grounded churn reason and one next step."""
    return CallAnalysis.model_validate(
        {
            "language": "de",
            "summary": "Der Kunde bemängelt Lieferverzug. <script>alert(1)</script>",
            "churn_reasons": [
                {"code": "delivery_reliability", "evidence": QUOTE, "confidence": 0.9}
            ],
            "outcome": outcome,
            "next_steps": [
                {
                    "type": "send_offer",
                    "description": "Angebot",
                    "owner": "rep",
                    "due_date": "2026-11-27",
                }
            ],
            "sentiment": "neutral",
        }
    ).to_json()


def _objects(session: Session, owner: Tenant, rep: User, n: int) -> Objects:
    account = make.account(
        session, owner, f"K{owner.id}{n:03d}", name=f"Kunde {rep.username} GmbH",
        owner_id=rep.id, relationship_ease=3, city="Köln",
    )  # fmt: skip
    make.order(session, account, f"O{account.id}", datetime(2025, 1, 15), total_amount=1200)
    brief = make.brief(
        session, account, {"account_name": account.name}, markdown="# Brief", model="fake"
    )
    consent = make.consent(session, account, "Herr Kunde", text_version="v1")
    recording = make.recording(
        session, account, consent, f"{account.id:064d}", 1000, uploaded_by_id=rep.id
    )
    transcript = make.transcript(
        session, recording,
        [(0.0, 4.0, "rep", "Guten Tag!"),
         (4.0, 9.5, "customer", f"Ehrlich gesagt, {QUOTE}. <b>Das</b> nervt.")],
        text="...", duration_s=20.0,
    )  # fmt: skip
    note = make.call_note(
        session, account, recording_id=recording.id, transcript_id=transcript.id,
        author_id=rep.id, call_date=date(2026, 11, 20), status=NoteStatus.pending_review,
        language="de", outcome=CallOutcome.follow_up,
        summary="Der Kunde bemängelt Lieferverzug. <script>alert(1)</script>",
        analysis={"result": analysis()}, field_sources={},
    )  # fmt: skip
    task = make.task(
        session, account, NextStepType.schedule_call, "Nachfassen", owner_id=rep.id,
        due_date=date(2026, 12, 1),
    )  # fmt: skip
    return Objects(account.id, brief.id, recording.id, note.id, task.id)


def build_world(store: Store) -> World:
    """Write the world into ``store`` and return its ids and tokens."""
    world = World()
    people = {
        "acme": [
            ("rep1", Role.rep),
            ("rep2", Role.rep),
            ("boss", Role.manager),
            ("root", Role.admin),
        ],
        "other": [("orep", Role.rep), ("oboss", Role.manager)],
    }
    with store.session() as session:
        for slug, users in people.items():
            tenant = make.tenant(session, slug, slug.title())
            world.tenants[slug] = tenant.id
            for n, (username, role) in enumerate(users):
                user = make.user(session, tenant, username, role, password_hash=_HASH)
                world.users[username] = user.id
                if role == Role.rep:
                    world.objects[username] = _objects(session, tenant, user, n)
    for slug, users in people.items():
        for username, _ in users:
            world.tokens[username] = create_token(store, slug, username, "tests")
    return world
