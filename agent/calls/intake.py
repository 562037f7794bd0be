"""Recording intake: consent, content checks, storage, DB row and queue in one step.

:func:`upload_recording` is the one way a recording enters Winback (CLI
now, API later). Its order is chosen so that a refused upload leaves
nothing behind:

1. consent is checked before a single byte is read (no consent: nothing stored);
2. tenant, account, contact and uploader are resolved (unknown: nothing stored);
3. a repeated ``Idempotency-Key`` of the same uploader is checked against
   the content's hash without storing anything: the same recording is
   returned, other content is a conflict (:mod:`agent.calls.repeats`);
4. the bytes stream into the audio store's staging area with the size
   limit enforced per chunk, then the file is probed by content
   (:func:`agent.audio.probe_audio`), which decodes every frame, so the
   length that counts is the decoded one; on any failure the staged file is
   deleted again;
5. one transaction looks for an earlier recording with the same content
   hash (or key): the same user's same recording is returned, any other
   collision refuses the upload with a reason (:mod:`agent.calls.repeats`);
   only a new recording is checked against the uploader's daily audio
   minutes (:mod:`agent.quotas`) and written with its consent record and
   pending pipeline jobs. A repeat, a conflict or a refusal removes the
   staged file, and the earlier recording stays as it was;
6. the staged file is moved into place under the key the row now knows;
7. the first step is enqueued; if the queue is unreachable the row and the
   file are removed again and the error is raised, so "accepted" always
   means "queued".

A process killed on the way leaves no audio that nothing deletes: before
5 only the staging area holds it (swept by :mod:`agent.leftovers`); between
5 and 6 the sweep moves the staged file into place, because the row exists;
between 6 and 7 the worker's recovery sweep enqueues the pending step.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.audio import AudioInfo, probe_audio
from agent.audio_store import get_audio_store, iter_chunks
from agent.calls.jobs import STEPS
from agent.calls.repeats import check_repeat, find_earlier, scoped_key
from agent.calls.status import Recording, _view
from agent.consent import Consent, validate_consent
from agent.crm.db import Store, get_tenant
from agent.crm.lookup import find_account
from agent.crm.models import (
    Account,
    CallRecording,
    ConsentRecord,
    Contact,
    JobStatus,
    PipelineJob,
    RecordingStatus,
    User,
)
from agent.errors import ConsentError, NotFoundError, PayloadTooLargeError, ValidationError
from agent.quotas import check_audio_minutes
from agent.settings import Settings
from agent.transcription.types import CHANNEL_LAYOUTS, ChannelLayout, is_channel_layout

log = logging.getLogger(__name__)


def _consent(consent: Consent | dict[str, Any] | None) -> Consent:
    if consent is None:
        raise ConsentError(
            "No recording consent given: record who agreed, how, when and to which "
            "consent text (German law requires opt-in before recording)."
        )
    if isinstance(consent, Consent):
        return consent
    return validate_consent(
        given_by=consent.get("given_by"),
        method=consent.get("method"),
        given_at=consent.get("given_at"),
        text_version=consent.get("text_version"),
    )


def _contact(session: Session, account: Account, ref: str | int | None) -> int | None:
    if ref is None or str(ref).strip() == "":
        return None
    text = str(ref).strip()
    conditions = [Contact.external_id == text]
    if text.isdigit():
        conditions.append(Contact.id == int(text))
    contact = session.scalar(
        select(Contact).where(Contact.account_id == account.id, or_(*conditions))
    )
    if contact is None:
        raise NotFoundError(f"Contact {text!r} does not belong to account {account.external_id}.")
    return contact.id


def _user(session: Session, tenant_id: int, username: str | None) -> int | None:
    if not username:
        return None
    user = session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.username == username)
    )
    if user is None:
        raise NotFoundError(f"User {username!r} does not exist.")
    return user.id


def _hash(source: BinaryIO | Iterable[bytes], max_bytes: int) -> str:
    """The SHA-256 of ``source``, read in chunks and not kept (a repeated key's check)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_chunks(source):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(
                f"The upload is larger than the limit of {max_bytes / 1e6:.0f} MB "
                "(setting max_upload_mb)."
            )
        digest.update(chunk)
    return digest.hexdigest()


def _layout(info: AudioInfo, requested: str | None, settings: Settings) -> ChannelLayout:
    if requested is None:
        layout = None
    elif is_channel_layout(requested):
        layout = requested
    else:
        raise ValidationError(
            f"Unknown channel layout {requested!r}: use one of {', '.join(CHANNEL_LAYOUTS)}."
        )
    if info.channels < 2:
        if layout not in (None, "mono"):
            raise ValidationError(
                f"The recording has one channel, so it cannot be split as {layout!r}; "
                "use --channels mono."
            )
        return "mono"
    return layout or settings.transcription_channels


def upload_recording(
    store: Store,
    settings: Settings,
    account_ref: str | int,
    source: BinaryIO | Iterable[bytes],
    consent: Consent | dict[str, Any] | None,
    idempotency_key: str | None = None,
    uploaded_by: str | None = None,
    *,
    contact: str | int | None = None,
    call_date: date | None = None,
    channels: str | None = None,
    filename: str | None = None,
    enqueue: bool = True,
) -> Recording:
    """Accept a call recording for ``account_ref`` and queue its transcription.

    ``source`` is a binary file object or an iterable of byte chunks; it is
    streamed, never read whole. ``consent`` is a validated :class:`Consent`
    or a dict with ``given_by``, ``method``, ``given_at``, ``text_version``.
    Returns the new recording, or the existing one (``duplicate=True``) when
    the same uploader sent the same content (or ``idempotency_key``) for the
    same account before. Raises :class:`ConsentError`, :class:`NotFoundError`,
    :class:`ValidationError`, :class:`MediaError`/:class:`PayloadTooLargeError`,
    :class:`StorageError`, :class:`ConflictError` (a key reused for other
    content, or content someone else or another account already has; see
    :mod:`agent.calls.repeats`) or, for a new recording that would take its
    uploader over their daily audio minutes, :class:`QuotaExceededError`; in
    every error case nothing is stored.
    """
    checked = _consent(consent)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 200:
        raise ValidationError("Idempotency key is longer than 200 characters.")
    tenant_slug = settings.tenant
    with store.session() as session:
        tenant = get_tenant(session, tenant_slug)
        account = find_account(session, tenant.id, account_ref)
        contact_id = _contact(session, account, contact)
        user_id = _user(session, tenant.id, uploaded_by)
        tenant_id, account_id = tenant.id, account.id
        if key is not None:
            key = scoped_key(user_id, key)
            found = find_earlier(session, tenant_id, key=key)
            if found is not None:
                max_bytes = int(settings.max_upload_mb * 1_000_000)
                check_repeat(found, uploader_id=user_id, account_id=account_id,
                             sha256=_hash(source, max_bytes), key=key)  # fmt: skip
                return _view(session, found, duplicate=True)

    audio = get_audio_store(settings)
    stored = audio.stage(source, max_bytes=int(settings.max_upload_mb * 1_000_000))
    try:
        info = probe_audio(
            audio.staged_path(stored.key),
            max_duration_s=settings.max_duration_s,
            name=filename or "The recording",
        )
        layout = _layout(info, channels, settings)
        recording_id, duplicate = _insert(
            store,
            settings,
            tenant_id=tenant_id,
            account_id=account_id,
            contact_id=contact_id,
            user_id=user_id,
            consent=checked,
            stored_key=stored.key,
            sha256=stored.sha256,
            size=stored.size_bytes,
            key=key,
            info=info,
            layout=layout,
            call_date=call_date,
            filename=filename,
        )
    except BaseException:
        audio.discard(stored.key)
        raise
    if duplicate:
        audio.discard(stored.key)
    else:
        try:
            audio.commit(stored.key)  # the row knows the key now: the file may take it
            if enqueue:
                from agent.calls import pipeline

                pipeline.enqueue_step(settings, STEPS[0], recording_id)
        except BaseException:
            _undo(store, recording_id)
            audio.discard(stored.key)
            audio.delete(stored.key)
            raise
    with store.session() as session:
        row = session.get(CallRecording, recording_id)
        assert row is not None
        return _view(session, row, duplicate=duplicate)


def _insert(
    store: Store,
    settings: Settings,
    *,
    tenant_id: int,
    account_id: int,
    contact_id: int | None,
    user_id: int | None,
    consent: Consent,
    stored_key: str,
    sha256: str,
    size: int,
    key: str | None,
    info: AudioInfo,
    layout: str,
    call_date: date | None,
    filename: str | None,
) -> tuple[str, bool]:
    """Write consent, recording and jobs in one transaction; return (id, duplicate).

    A repeat is answered before the quota check: it stores nothing, so it
    costs no audio minutes, and a retry gets its recording back.
    """
    try:
        with store.session() as session:
            found = find_earlier(session, tenant_id, sha256=sha256, key=key)
            if found is not None:
                check_repeat(found, uploader_id=user_id, account_id=account_id, sha256=sha256,
                             key=key)  # fmt: skip
                return found.id, True
            check_audio_minutes(session, settings, user_id, info.duration_s)
            consent_row = ConsentRecord(
                tenant_id=tenant_id,
                account_id=account_id,
                contact_id=contact_id,
                given_by=consent.given_by,
                method=consent.method,
                given_at=consent.given_at,
                text_version=consent.text_version,
                recorded_by_id=user_id,
            )
            session.add(consent_row)
            session.flush()
            recording = CallRecording(
                tenant_id=tenant_id,
                account_id=account_id,
                contact_id=contact_id,
                consent_id=consent_row.id,
                uploaded_by_id=user_id,
                storage_key=stored_key,
                original_filename=(filename or "")[:300] or None,
                content_sha256=sha256,
                idempotency_key=key,
                size_bytes=size,
                container=info.container,
                codec=info.codec,
                duration_s=info.duration_s,
                channels=info.channels,
                sample_rate=info.sample_rate,
                call_date=call_date,
                status=RecordingStatus.queued,
            )
            session.add(recording)
            session.flush()
            for step in STEPS:
                details: dict[str, Any] = {}
                if step == "decode":
                    details = {"channels": layout, "probe": info.to_dict()}
                session.add(
                    PipelineJob(
                        recording_id=recording.id,
                        step=step,
                        status=JobStatus.pending,
                        details=details,
                    )
                )
            return recording.id, False
    except IntegrityError:
        # Two uploads with the same content or key raced; the unique constraints let one win.
        with store.session() as session:
            found = find_earlier(session, tenant_id, sha256=sha256, key=key)
            if found is None:
                raise
            check_repeat(found, uploader_id=user_id, account_id=account_id, sha256=sha256,
                         key=key)  # fmt: skip
            return found.id, True


def _undo(store: Store, recording_id: str) -> None:
    """Remove a recording whose job could not be queued (its jobs cascade)."""
    with contextlib.suppress(Exception), store.session() as session:
        recording = session.get(CallRecording, recording_id)
        if recording is not None:
            consent_id = recording.consent_id
            session.delete(recording)
            session.flush()
            consent = session.get(ConsentRecord, consent_id)
            if consent is not None:
                session.delete(consent)
