"""Fixtures of the history tests (shared with the brief, CLI and eval tests)."""

from tests.history.fixtures import crm, embeddings, index  # noqa: F401
