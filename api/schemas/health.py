"""Operations: liveness and the readiness report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LivenessOut(BaseModel):
    """The process answers."""

    status: Literal["ok"]

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})


class CheckOut(BaseModel):
    """One readiness check; ``detail`` and ``hint`` only for an admin or the metrics token."""

    name: str = Field(examples=["database"])
    status: Literal["ok", "warn", "fail"]
    detail: str | None = Field(default=None, description="What was found (secrets masked).")
    hint: str | None = Field(default=None, description="How to fix a failure.")
    ms: float = Field(description="How long the check took.")


class FailingOut(BaseModel):
    """A failing check; ``reason`` only for an admin or the metrics token."""

    name: str
    reason: str | None = None


class ReadinessOut(BaseModel):
    """Every check with its state; ``failing`` names the failures (then the answer is 503)."""

    status: Literal["ok", "fail"]
    checks: list[CheckOut]
    failing: list[FailingOut] | None = Field(default=None, description="Only when not ready.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "checks": [
                        {"name": "database", "status": "ok", "ms": 3.1},
                        {"name": "queue", "status": "ok", "ms": 0.8},
                        {"name": "audio_store", "status": "ok", "ms": 0.4},
                    ],
                },
                {
                    "status": "fail",
                    "checks": [
                        {"name": "database", "status": "fail", "ms": 3001.7},
                        {"name": "queue", "status": "ok", "ms": 0.8},
                        {"name": "audio_store", "status": "ok", "ms": 0.4},
                    ],
                    "failing": [{"name": "database"}],
                },
            ]
        }
    )
