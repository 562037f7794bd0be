"""The one settings object of Winback.

Values come, in this order of precedence, from: explicit keyword arguments
(tests, ``--db`` on the CLI), ``WINBACK_*`` environment variables, a TOML
config file (``WINBACK_CONFIG`` or ``<config dir>/winback.toml``), and the
embedded defaults below. The defaults run everything on one laptop with no
server and no network: SQLite, embedded Chroma, local models.

Each external system is chosen by name here (``chat_backend``,
``transcriber_backend``, ...); the registries that turn a name into an
implementation live next to the interfaces.
"""

from __future__ import annotations

import ipaddress
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "winback"


def default_data_dir() -> Path:
    """Per-user data directory (``~/.local/share/winback`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    """The config file read when ``WINBACK_CONFIG`` is not set."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "winback.toml"


class Settings(BaseSettings):
    """All of Winback's configuration in one typed object."""

    model_config = SettingsConfigDict(
        env_prefix="WINBACK_",
        extra="ignore",
        validate_default=True,
    )

    # --- storage -----------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file winback.db in data_dir.",
    )
    tenant: str = Field(default="default", description="Tenant slug the CLI works on.")

    # --- history index and briefs (issue #4) --------------------------------
    chroma_url: str | None = Field(
        default=None,
        description="Chroma server URL (HttpClient); default: embedded store in data_dir/chroma.",
    )
    brief_semantic_hits: int = Field(default=8, ge=0, le=50)
    brief_design: Literal["auto", "compact", "full"] = Field(
        default="auto",
        description="Who writes a brief's sentences. compact: code writes the situation and "
        "talking points from the records, the model the opening question (about 10 s with the "
        "local model on 2 cores); full: the model writes all three (for a capable endpoint). "
        "auto: compact with the local backend, full otherwise.",
    )
    brief_warm_up: bool = Field(
        default=True,
        description="Long-running workers (winback worker, serve) load the local chat model at "
        "start and cache the opening question's system prompts, so the first brief is as fast "
        "as later ones.",
    )

    # --- plan (method from the articles; see DESIGN.md) ---------------------
    inactive_months: int = Field(default=12, ge=1, le=120)
    calls_per_rep_per_day: int = Field(default=2, ge=1, le=10)
    pareto_value_share: float = Field(default=0.8, gt=0, le=1)
    workday_start_hour: int = Field(default=9, ge=0, le=23)

    # --- analytics -----------------------------------------------------------
    coaching_agreement: str | None = Field(
        default=None,
        max_length=300,
        description="Reference of the works-council agreement (Betriebsvereinbarung) that "
        "permits per-rep coaching figures for managers, e.g. 'BV Vertriebscoaching vom "
        "01.03.2026'. Unset: no per-rep figure is computed or shown anywhere.",
    )

    # --- import ------------------------------------------------------------
    max_quantity: float = Field(default=1_000_000, description="Larger |quantity| is rejected.")
    max_unit_price: float = Field(default=1_000_000, description="Larger unit price is rejected.")

    # --- calls: recordings, audio store, job queue (issue #5) ---------------
    audio_dir: Path | None = Field(
        default=None, description="Where uploaded recordings are kept; default data_dir/audio."
    )
    max_upload_mb: float = Field(default=200, gt=0, description="Larger uploads are refused.")
    max_duration_s: float = Field(
        default=2 * 3600, gt=0, description="Longest call (seconds of decoded audio) accepted."
    )
    temp_max_age_s: float = Field(
        default=3600,
        ge=0,
        description="Temporary files (upload spools, staged and half-normalised audio) older "
        "than this are crash leftovers: the start and maintenance sweeps delete them.",
    )
    retention_audio: Literal["after_transcription", "days"] = "after_transcription"
    retention_audio_days: int = Field(default=30, ge=0, le=3650)
    # --- data protection (issue #8; see docs/privacy.md) ----------------------
    retention_transcript_days: int = Field(
        default=0, ge=0, le=36500, description="Delete transcripts older than this; 0 = keep."
    )
    retention_notes_days: int = Field(
        default=0, ge=0, le=36500, description="Delete notes and call notes older; 0 = keep."
    )
    erasure_salt: SecretStr | None = Field(
        default=None,
        description="Salt of erasure tombstones; default: generated once into data_dir.",
    )
    queue_backend: Literal["sqlite", "redis"] = "sqlite"
    queue_name: str = Field(default="winback", min_length=1, max_length=64)
    queue_file: Path | None = Field(
        default=None, description="SQLite file of the embedded queue; default data_dir/queue.db."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    worker_count: int = Field(default=1, ge=1, le=64)
    worker_type: Literal["thread", "process"] = "thread"
    job_retries: int = Field(default=3, ge=0, le=20, description="Retries of a transient error.")
    job_retry_delay_s: float = Field(default=5.0, ge=0, description="First retry delay; doubles.")
    job_heartbeat_s: float = Field(default=10.0, gt=0)
    job_stale_s: float = Field(default=120.0, gt=0, description="Silent running job is dead.")
    recover_interval_s: float = Field(default=30.0, gt=0)

    # --- web app and API (issue #7) -------------------------------------------
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the CSRF tokens of sessions; default: generated once into "
        "data_dir/secret_key.",
    )
    session_hours: float = Field(default=12, gt=0, le=24 * 30, description="Login lifetime.")
    api_token_days: int = Field(
        default=90, ge=1, le=3650, description="Lifetime of a new API token (winback users token)."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure cookie flag: auto = when the request is https."
    )
    demo_password: str = Field(default="winback-demo", min_length=8, max_length=200)
    hsts_max_age_s: int = Field(
        default=31_536_000, ge=0, le=63_072_000,
        description="Strict-Transport-Security max-age sent on HTTPS answers (0: no header).",
    )  # fmt: skip
    max_body_mb: float = Field(
        default=1.0, gt=0, le=1000,
        description="Largest request body of every route but the recording upload (413 above, "
        "checked before login).",
    )  # fmt: skip
    # --- rate limits (api/ratelimit.py) and proxies --------------------------------
    ratelimit_enabled: bool = Field(default=True, description="Off only for load tests.")
    ratelimit_backend: Literal["auto", "memory", "sqlite", "redis"] = Field(
        default="auto",
        description="Where the counters live. auto: Redis with the Redis queue, else a SQLite "
        "file in data_dir that every web process of this machine shares; memory: this process "
        "only (one process, tests).",
    )
    login_limit_per_ip: int = Field(
        default=10, ge=1, le=10_000, description="Failed logins per minute per client address."
    )
    login_limit_per_username: int = Field(
        default=5, ge=1, le=10_000,
        description="Failed logins per minute for one username from one client address.",
    )  # fmt: skip
    login_limit_per_username_hour: int = Field(
        default=20, ge=1, le=100_000,
        description="Failed logins per hour for one username from one client address.",
    )  # fmt: skip
    login_limit_global_per_hour: int = Field(
        default=100, ge=2, le=1_000_000,
        description="Failed logins per hour for one username from all addresses together (the "
        "backstop against guessing from many addresses); above login_limit_per_username_hour, "
        "so one client alone can never lock a user out.",
    )  # fmt: skip
    upload_limit_per_hour: int = Field(
        default=30, ge=1, le=100_000, description="Accepted recording uploads per hour per user."
    )
    # --- quotas on model work per user (agent/quotas.py) ----------------------
    brief_queue_per_user: int = Field(
        default=10, ge=1, le=10_000, description="Unfinished brief requests per user at once."
    )
    audio_minutes_per_day: float = Field(
        default=240, gt=0, description="Minutes of call audio one user may upload in 24 hours."
    )
    ratelimit_prefix: str = Field(
        default="winback:ratelimit", min_length=1, max_length=100,
        description="Key prefix of the counters in Redis.",
    )  # fmt: skip
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (comma-separated in the environment). Empty: none, the "
        "TCP peer is the client.",
    )

    # --- operations: logs and metrics (issue #8; see docs/deploy.md) -----------
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line (for log collectors)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = Field(
        default=None, description="Default: WARNING for CLI commands, INFO for serve and worker."
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics.")
    metrics_token: SecretStr | None = Field(
        default=None, description="If set, /metrics requires 'Authorization: Bearer <token>'."
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="Port of the worker's own /metrics (none)."
    )
    metrics_host: str = Field(default="127.0.0.1", description="Interface of worker metrics.")

    # --- models --------------------------------------------------------------
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where local weights are assembled; default: the per-user cache dir.",
    )
    chat_backend: Literal["local", "openai", "fake"] = "local"
    embeddings_backend: Literal["local", "openai", "fake"] = "local"
    transcriber_backend: Literal["local", "openai", "fake"] = "local"
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_chat_model: str = "gpt-4o-mini"
    openai_embeddings_model: str = "text-embedding-3-small"
    openai_transcription_model: str = "whisper-1"
    openai_timeout_s: float = Field(default=60.0, gt=0)
    openai_max_retries: int = Field(default=2, ge=0, le=10)
    local_only: bool = Field(
        default=False, description="Refuse any model that is not local (data protection)."
    )
    analysis_design: Literal["learned", "decomposed", "checklist", "plain"] = Field(
        default="learned",
        description="How calls are analysed (agent/analysis/analyzer.py; figures in evals/).",
    )
    redact_names: bool = Field(
        default=True,
        description="Also replace the contact's names before text goes to a non-local model.",
    )
    # Local model choice: a bundled model name (see agent/model_store.py) or a file/dir path.
    local_chat_model: str = "qwen2.5-coder-1.5b"
    local_chat_ctx: int = Field(default=4096, ge=512, le=131072)
    local_prompt_cache_mb: int = Field(
        default=1024,
        ge=0,
        le=65536,
        description="RAM for evaluated prompt states of the local chat model (0: off). A new "
        "prompt resumes from the longest cached prefix, e.g. its task's system prompt.",
    )
    chat_max_tokens: int = Field(default=512, ge=1, le=32768)
    chat_temperature: float = Field(default=0.0, ge=0, le=2)
    chat_repeat_penalty: float = Field(default=1.1, ge=1, le=2)
    structured_max_retries: int = Field(default=2, ge=0, le=10)
    # How JSON output is requested from an OpenAI-compatible endpoint: "json_schema"
    # (OpenAI, vLLM, Ollama), "json_object_schema" (llama.cpp server), "json_object".
    openai_response_format: Literal["json_schema", "json_object_schema", "json_object"] = (
        "json_schema"
    )
    whisper_model: str = "whisper-base"
    whisper_beam_size: int = Field(default=5, ge=1, le=10)
    transcription_language: str | None = Field(default=None, description="None: detect.")
    transcription_channels: Literal["mono", "rep,customer", "customer,rep"] = "rep,customer"
    analyze_after_transcription: bool = Field(
        default=True,
        description="Workers analyse each new transcript into a draft call note (#6).",
    )
    embeddings_batch_size: int = Field(default=64, ge=1, le=4096)
    model_threads: int | None = Field(default=None, ge=1, description="Default: all cores.")

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network (e.g. 10.0.0.2 "
                    "or 10.0.0.0/24); host names and '*' are not accepted."
                ) from None
        return value

    @model_validator(mode="after")
    def _global_login_limit_above_one_client(self) -> Settings:
        if self.login_limit_global_per_hour <= self.login_limit_per_username_hour:
            raise ValueError(
                "login_limit_global_per_hour must be larger than login_limit_per_username_hour: "
                "otherwise one client alone could lock a user out everywhere."
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return (value.strip().upper() or None) if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("WINBACK_CONFIG") or default_config_file())
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    # --- derived values ------------------------------------------------------
    @property
    def db_url(self) -> str:
        """The database URL in effect (explicit, or the SQLite file in data_dir)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'winback.db'}"

    @property
    def models_dir(self) -> Path:
        """Cache directory for assembled local model weights."""
        if self.model_cache_dir:
            return self.model_cache_dir.expanduser()
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "models"

    @property
    def audio_path(self) -> Path:
        """Directory of the local audio store."""
        return (self.audio_dir or self.data_dir / "audio").expanduser()

    @property
    def spool_path(self) -> Path:
        """Where the web app spools an upload's body before checking it (swept of leftovers)."""
        return self.data_dir / "tmp"

    @property
    def work_path(self) -> Path:
        """Where workers write the normalised WAV of a recording (swept of leftovers)."""
        return self.data_dir / "work"

    @property
    def queue_path(self) -> Path:
        """SQLite file of the embedded job queue."""
        return (self.queue_file or self.data_dir / "queue.db").expanduser()


_override: Settings | None = None


@lru_cache(maxsize=1)
def _load() -> Settings:
    return Settings()


def get_settings() -> Settings:
    """Return the settings in effect: the override if one is set, else loaded once."""
    if _override is not None:
        return _override
    return _load()


def set_settings(settings: Settings | None) -> None:
    """Replace the settings in effect (CLI options, tests); ``None`` restores loading."""
    global _override
    _override = settings
    _load.cache_clear()


def configure(**overrides: Any) -> Settings:
    """Build settings from the environment plus ``overrides`` and make them current."""
    settings = Settings(**overrides)
    set_settings(settings)
    return settings
