"""A small two-tenant world for API tests, written with the real ORM into a real database.

Tenant ``acme``: reps ``rep1`` and ``rep2``, ``boss`` (manager), ``root``
(admin); each rep owns one account that carries a brief, a recording with a
transcript, a draft note and a task. Tenant ``other``: the same shapes with
``orep``/``oboss``. Every user's password is :data:`PASSWORD`; every user
also has an API token (``World.tokens[username]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from agent.analysis.schema import CallAnalysis
from agent.auth import create_token, hash_password
from agent.crm.db import Store
from agent.crm.models import (
    Account,
    CallNote,
    CallOutcome,
    CallRecording,
    ConsentMethod,
    ConsentRecord,
    NextStepType,
    NoteStatus,
    Order,
    Role,
    StoredBrief,
    Task,
    Tenant,
    Transcript,
    TranscriptSegment,
    User,
)

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


def _objects(session, tenant_id: int, rep: User, n: int) -> Objects:  # type: ignore[no-untyped-def]
    account = Account(
        tenant_id=tenant_id,
        external_id=f"K{tenant_id}{n:03d}",
        name=f"Kunde {rep.username} GmbH",
        owner_id=rep.id,
        relationship_ease=3,
        city="Köln",
    )
    session.add(account)
    session.flush()
    session.add(
        Order(
            tenant_id=tenant_id,
            account_id=account.id,
            external_id=f"O{account.id}",
            order_date=datetime(2025, 1, 15),
            total_amount=1200,
        )
    )
    brief = StoredBrief(
        tenant_id=tenant_id,
        account_id=account.id,
        version=1,
        language="de",
        content={"account_name": account.name},
        markdown="# Brief",
        model="fake",
    )
    consent = ConsentRecord(
        tenant_id=tenant_id,
        account_id=account.id,
        given_by="Herr Kunde",
        method=ConsentMethod.verbal_at_call_start,
        given_at=datetime.now(UTC),
        text_version="v1",
    )
    session.add_all([brief, consent])
    session.flush()
    recording = CallRecording(
        tenant_id=tenant_id,
        account_id=account.id,
        consent_id=consent.id,
        uploaded_by_id=rep.id,
        content_sha256=f"{account.id:064d}",
        size_bytes=1000,
    )
    session.add(recording)
    session.flush()
    transcript = Transcript(
        tenant_id=tenant_id,
        account_id=account.id,
        recording_id=recording.id,
        language="de",
        duration_s=20.0,
        text="...",
    )
    transcript.segments = [
        TranscriptSegment(idx=0, start_s=0.0, end_s=4.0, speaker="rep", text="Guten Tag!"),
        TranscriptSegment(
            idx=1,
            start_s=4.0,
            end_s=9.5,
            speaker="customer",
            text=f"Ehrlich gesagt, {QUOTE}. <b>Das</b> nervt.",
        ),
    ]
    session.add(transcript)
    session.flush()
    note = CallNote(
        tenant_id=tenant_id,
        account_id=account.id,
        recording_id=recording.id,
        transcript_id=transcript.id,
        author_id=rep.id,
        call_date=date(2026, 11, 20),
        status=NoteStatus.pending_review,
        language="de",
        outcome=CallOutcome.follow_up,
        summary="Der Kunde bemängelt Lieferverzug. <script>alert(1)</script>",
        analysis={"result": analysis()},
        field_sources={},
    )
    session.add(note)
    session.flush()
    task = Task(
        tenant_id=tenant_id,
        account_id=account.id,
        type=NextStepType.schedule_call,
        description="Nachfassen",
        owner_id=rep.id,
        due_date=date(2026, 12, 1),
    )
    session.add(task)
    session.flush()
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
            tenant = Tenant(slug=slug, name=slug.title())
            session.add(tenant)
            session.flush()
            world.tenants[slug] = tenant.id
            for n, (username, role) in enumerate(users):
                user = User(
                    tenant_id=tenant.id,
                    username=username,
                    name=username.title(),
                    role=role,
                    password_hash=_HASH,
                )
                session.add(user)
                session.flush()
                world.users[username] = user.id
                if role == Role.rep:
                    world.objects[username] = _objects(session, tenant.id, user, n)
    for slug, users in people.items():
        for username, _ in users:
            world.tokens[username] = create_token(store, slug, username, "tests")
    return world
