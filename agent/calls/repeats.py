"""When an upload repeats an earlier one, and when it only collides with someone else's.

A client that retries an upload (a dropped connection, a double click) must
get its recording back, not a second copy: by the ``Idempotency-Key`` it
sent, or by the content's SHA-256 when it sent none. But a repeat is always
*the same user's same recording*. The rules:

* A key belongs to its uploader. Clients pick keys such as ``upload-1``, so
  two users may well pick the same one; the stored form
  (:func:`scoped_key`) puts the uploader's id in front of a digest of the
  key, which keeps them apart under the table's unique (tenant, key) and
  stores no client text.
* The same key with other content, or for another account, is a conflict
  (409): the client reused a key for a new recording, and answering with
  the old one would silently drop the new one.
* The same content is a repeat only when the same user uploaded it for the
  same account. The content hash stays unique per tenant (one call, one
  recording, transcribed and reviewed once), so the same file from another
  user, or for another account, is a conflict that says so without naming
  the other user's recording: it is never handed out.

The CLI uploads without a user (``uploaded_by`` None); its uploads repeat
each other in the same way. Nothing here ever discards a recording: a
conflict refuses the *new* upload with a reason, and the earlier one stays
as it was. :mod:`agent.calls.intake` asks here twice: for a repeated key
before a byte is stored, and for the content's hash once the audio is
staged, before the quota check and the row; a repeat or a conflict then
removes the staged file, so it costs neither disk nor audio minutes.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import CallRecording
from agent.errors import ConflictError


def scoped_key(uploader_id: int | None, key: str) -> str:
    """The stored form of an ``Idempotency-Key``: the uploader's id and the key's digest."""
    owner = "cli" if uploader_id is None else str(uploader_id)
    return f"{owner}:{hashlib.sha256(key.encode()).hexdigest()}"


def find_earlier(
    session: Session, tenant_id: int, *, key: str | None = None, sha256: str | None = None
) -> CallRecording | None:
    """The recording an upload may repeat: by its scoped key first, else by its content."""
    if key:
        found = session.scalar(
            select(CallRecording).where(
                CallRecording.tenant_id == tenant_id, CallRecording.idempotency_key == key
            )
        )
        if found is not None:
            return found
    if sha256:
        return session.scalar(
            select(CallRecording).where(
                CallRecording.tenant_id == tenant_id, CallRecording.content_sha256 == sha256
            )
        )
    return None


def check_repeat(
    earlier: CallRecording,
    *,
    uploader_id: int | None,
    account_id: int,
    sha256: str,
    key: str | None,
) -> None:
    """Return when the upload repeats ``earlier``; raise :class:`ConflictError` when it collides.

    ``key`` is the scoped key (:func:`scoped_key`) of the new upload, if it
    has one. The messages name the earlier recording only when it is the
    caller's own.
    """
    if key is not None and earlier.idempotency_key == key:
        if earlier.content_sha256 != sha256:
            raise ConflictError(
                f"The Idempotency-Key was already used for another recording ({earlier.id}): "
                "send a new key with every new recording. Nothing was stored."
            )
        if earlier.account_id != account_id:
            raise ConflictError(
                f"This recording was already uploaded with this Idempotency-Key for another "
                f"account ({earlier.id}); a recording belongs to one account. Nothing was stored."
            )
        return
    if earlier.uploaded_by_id != uploader_id:
        raise ConflictError(
            "This audio file has already been uploaded by another user; Winback keeps each "
            "recording once. Ask a manager which account it belongs to. Nothing was stored."
        )
    if earlier.account_id != account_id:
        raise ConflictError(
            f"You already uploaded this audio file for another account ({earlier.id}); a "
            "recording belongs to one account. Nothing was stored."
        )
