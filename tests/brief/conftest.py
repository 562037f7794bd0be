"""Fixtures of the brief tests (defined in tests/history/fixtures.py)."""

from tests.history.fixtures import crm, embeddings, index  # noqa: F401
