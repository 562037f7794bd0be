"""Note import: dated notes, content-keyed when they have no id, future dates rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agent.crm.db import Store
from agent.crm.importers import import_accounts, import_notes
from agent.crm.models import Note, NoteKind
from agent.errors import ImportRowError
from tests.crm.importers.conftest import count_rows


def _accounts(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "acc.csv"
    path.write_text("external_id,name\nK100,Müller\nK300,Acme\n")
    import_accounts(store, path, "acme")


def test_notes_import_and_reimport(store: Store, fixtures: Path, tmp_path: Path) -> None:
    _accounts(store, tmp_path)
    stats = import_notes(store, fixtures / "notes.json", "acme")
    assert (stats.source_format, stats.created) == ("json", 2)
    with store.session() as session:
        notes = session.scalars(select(Note).order_by(Note.occurred_at)).all()
    assert notes[0].kind is NoteKind.call and notes[0].subject == "Lieferverzug"
    assert notes[1].external_id.startswith("h:")  # no id in the file: keyed by content
    again = import_notes(store, fixtures / "notes.json", "acme")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_notes(store: Store, tmp_path: Path) -> None:
    _accounts(store, tmp_path)
    before = count_rows(store)
    path = tmp_path / "n.csv"
    path.write_text(
        "account_external_id,occurred_at,kind,body\n"
        "K100,2999-01-01,call,Zukunft\n"
        "K100,gestern,call,Text\n"
        "K100,2023-01-01,fax,Text\n"
        "K100,2023-01-01,note,\n"
    )
    with pytest.raises(ImportRowError) as info:
        import_notes(store, path, "acme")
    assert [(p[0], p[1]) for p in info.value.problems] == [
        (2, "occurred_at"),
        (3, "occurred_at"),
        (4, "kind"),
        (5, "body"),
    ]
    assert count_rows(store) == before
