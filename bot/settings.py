"""Settings read from the environment and `.env`.

Every variable is documented in `.env.example`. A missing or malformed setting
stops the program with one message that names every bad variable (exit 2):
`load_settings()` raises `SettingsError`, and the CLI turns it into that message.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"

Mode = Literal["http", "socket", "console"]


class SettingsError(Exception):
    """One or more settings are missing or malformed; `problems` maps variable to reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        lines = [f"  {name}: {reason}" for name, reason in problems.items()]
        super().__init__(
            "SOAP War Room cannot start: fix these settings in the environment or .env "
            "(see .env.example):\n" + "\n".join(lines)
        )


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'soap.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: str | None = Field(default=None)
    slack_signing_secret: str | None = Field(default=None)
    slack_app_token: str | None = Field(default=None)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = Field(default_factory=default_database_url)
    port: int = Field(default=3000, ge=1, le=65535)
    soap_timezone: str = "America/New_York"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Operational knobs (documented in .env.example and docs/operations.md).
    committee_cache_seconds: int = Field(default=60, ge=0, le=60)
    web_concurrency: int = Field(default=2, ge=1, le=64)
    work_threads: int = Field(default=2, ge=1, le=64)
    # Seconds between the clock's reminder ticks: how late at most a reminder or an alarm goes out.
    clock_tick_seconds: int = Field(default=20, ge=1, le=300)
    # How long a clock holds a reminder it is posting before another clock may take it over; shorter than
    # a reminder's useful window (2 minutes for "offers go out"), and it stops retrying a third of the way in.
    reminder_lease_seconds: int = Field(default=45, ge=3, le=120)
    # Seconds between a web or Socket Mode process's looks at the clock's last tick (bot.clock_watch).
    clock_watch_seconds: int = Field(default=30, ge=1, le=600)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: str | None) -> str | None:
        if value and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value or None

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: str | None) -> str | None:
        if value and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value or None

    @field_validator("slack_signing_secret")
    @classmethod
    def _empty_is_missing(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return default_database_url()
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("is not a well-formed URL (check the port and any character in the password "
                             "that needs %-encoding)") from None
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("soap_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone; use an IANA name such as America/Chicago") from None
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.soap_timezone)

    @property
    def mode(self) -> Mode:
        """Which way `soapbot run` connects: Socket Mode, HTTP, or the local console."""
        if self.slack_app_token and self.slack_bot_token:
            return "socket"
        if self.slack_bot_token and self.slack_signing_secret:
            return "http"
        return "console"

    def require(self, *names: str) -> None:
        """Raise SettingsError naming every one of `names` that is unset."""
        missing = {name.upper(): "required for this command but not set" for name in names
                   if not getattr(self, name)}
        if missing:
            raise SettingsError(missing)


def load_settings(env_file: str | Path | None = ".env", *, required: Sequence[str] = (),
                  **overrides: Any) -> Settings:
    """Read settings; raise SettingsError naming every bad variable and every one of `required`
    (field names, e.g. "slack_signing_secret") that is unset, all in one message."""
    problems: dict[str, str] = {}
    try:
        settings: Settings | None = Settings(_env_file=env_file, **overrides)
    except ValidationError as error:
        bad: set[str] = set()
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "settings"
            bad.add(name)
            problems[name.upper()] = _reason(item)
        # Read once more with the bad values set aside, to see which required ones are missing too.
        defaults = {name: field.get_default(call_default_factory=True)
                    for name, field in Settings.model_fields.items() if name in bad}
        try:
            settings = Settings(_env_file=env_file, **{**overrides, **defaults})
        except ValidationError:
            settings = None
    if settings is not None:
        for name in required:
            if not getattr(settings, name) and name.upper() not in problems:
                problems[name.upper()] = "required for this command but not set"
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


def _reason(item: object) -> str:
    """What is wrong with a value, never the value: a token pasted in the wrong variable or a URL with its
    password would otherwise be printed to the terminal and the platform's log."""
    data = item if isinstance(item, dict) else {}
    return str(data.get("msg", "invalid")).removeprefix("Value error, ")
