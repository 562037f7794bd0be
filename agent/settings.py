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

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
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

    # --- plan (method from the articles; see DESIGN.md) ---------------------
    inactive_months: int = Field(default=12, ge=1, le=120)
    calls_per_rep_per_day: int = Field(default=2, ge=1, le=10)
    pareto_value_share: float = Field(default=0.8, gt=0, le=1)
    workday_start_hour: int = Field(default=9, ge=0, le=23)

    # --- import ------------------------------------------------------------
    max_quantity: float = Field(default=1_000_000, description="Larger |quantity| is rejected.")
    max_unit_price: float = Field(default=1_000_000, description="Larger unit price is rejected.")

    # --- models --------------------------------------------------------------
    model_cache_dir: Path | None = Field(
        default=None, description="Where local weights are assembled; default data_dir/models."
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

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

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
        return (self.model_cache_dir or self.data_dir / "models").expanduser()


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
