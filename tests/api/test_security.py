"""CSRF tokens, the secret key file; i18n and chart escaping."""

from __future__ import annotations

import stat

import pytest
from pydantic import SecretStr

from agent.errors import ConfigError
from agent.settings import Settings
from api import charts
from api.i18n import text
from api.security import SessionData, csrf_ok, csrf_token, load_secret_key


def test_secret_key_is_generated_once_with_0600(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    first = load_secret_key(settings)
    assert load_secret_key(settings) == first and len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    with pytest.raises(ConfigError):
        load_secret_key(Settings(data_dir=tmp_path, secret_key=SecretStr("short")))


def test_csrf_tokens_are_bound_to_one_session_and_the_key() -> None:
    key = b"k" * 32
    data = SessionData(session_id=1, user_id=7, token_hash="a" * 64)
    other = SessionData(session_id=2, user_id=7, token_hash="b" * 64)
    assert csrf_ok(key, data, csrf_token(key, data))
    assert not csrf_ok(key, other, csrf_token(key, data))
    assert not csrf_ok(b"x" * 32, data, csrf_token(key, data))
    assert not csrf_ok(key, data, "nope") and not csrf_ok(key, data, None)


def test_i18n_falls_back_and_formats() -> None:
    assert text("login", "en") == "Log in" and text("login", "de") == "Anmelden"
    assert text("login", "fr") == "Anmelden"
    assert text("no_such_key", "de") == "no_such_key"
    assert text("pareto_cut", "en", calls=3, share=80) == "3 calls bring 80% of the expected value"


def test_charts_escape_labels() -> None:
    svg = charts.stacked_bars("t", ["2026-11"], {"<script>": [2]})
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<svg" in charts.funnel("f", [("a", 3), ("b", 1)])
    assert "<path" in charts.pareto("p", [(1, 0.5), (2, 1.0)], 1)
    assert charts.share_bar("s", [("intern", 0.75), ("extern", 0.25)]).count("<rect") == 2
