"""Configuration from environment variables and an optional `.env`, validated at start-up (design.md section 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      case_sensitive=False)

    # HTTP service
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: str | None = None  # https://bot.chania.gr — webhooks are registered at start when set
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # MongoDB (unset: demo mode with the in-process stand-in, nothing persists)
    mongodb_uri: SecretStr | None = None
    mongodb_db: str = "chania_bot"
    store_timeout_s: float = Field(5.0, gt=0)

    # Rasa NLU server (unset URL: `bot.py run` starts one from nlu/ on loopback with a fresh token)
    rasa_url: str | None = None
    rasa_token: SecretStr | None = None
    # /metrics answers requests from this machine (not forwarded by a proxy), or with "Authorization: Bearer <token>"
    metrics_token: SecretStr | None = None
    rasa_port: int = Field(5005, ge=1, le=65535)
    nlu_timeout_s: float = Field(3.0, gt=0)
    nlu_confidence_threshold: float = Field(0.3, ge=0, le=1)  # calibrated on dev + dev_hard: nlu/README.md
    nlu_promotion_tolerance: float = Field(0.0, ge=0, le=1)  # largest macro-F1 drop per script a candidate may have

    # Telegram
    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"

    # Viber
    viber_token: SecretStr | None = None
    viber_api_url: str = "https://chatapi.viber.com/pa"
    viber_bot_name: str = "Δήμος Χανίων"
    viber_avatar_url: str | None = None
    viber_replay_window_s: float = Field(300, gt=0)  # a signed callback whose timestamp is further from now: 403

    # Staff dashboard: map tiles behind a ticket's pin ({z}/{x}/{y}); empty: the pin on a blank map (no internet)
    staff_map_tiles_url: str | None = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    # Assisted intake receipts: how a resident reaches the Citizen Service Office (printed on every receipt)
    citizen_office_phone: str = Field("", max_length=40)
    citizen_office_address: str = Field("", max_length=200)
    citizen_office_hours: str = Field("", max_length=200)  # Greek, e.g. "Δευτέρα–Παρασκευή 08:00–14:00"
    citizen_office_hours_en: str = Field("", max_length=200)  # English receipts; empty: the Greek text

    # Concurrency
    max_concurrent_updates: int = Field(64, ge=1)
    max_backlog: int = Field(4, ge=1)  # queued messages above which webhook answers wait (paces the platform)
    max_attempts: int = Field(5, ge=1)  # processing attempts of one inbound message before it is a dead letter
    retry_backoff_s: float = Field(30, gt=0)  # wait before its second attempt; doubled each time, at most an hour

    # Outbox (bot/outbox/) and cross-instance work (bot/core/events.py, leases)
    outbox_max_attempts: int = Field(5, ge=1)  # failed sends before an entry becomes a dead letter
    outbox_lease_s: float = Field(60.0, gt=0)  # a crashed sender's entry is sent again after this
    outbox_backoff_s: float = Field(1.0, gt=0)  # first retry after a failure; doubles each time (max 300 s)
    outbox_poll_s: float = Field(1.0, gt=0)  # how often the sender looks for other instances' entries and retries
    telegram_rate_per_s: float = Field(30.0, gt=0)  # Bot API limit for the whole bot
    # a civil-protection notice is sent only after a second staff member approves it: every one of them
    # ("civil_protection"), or only those to the whole municipality ("whole_municipality")
    alerts_two_person_approval: bool = True
    alerts_approval_scope: Literal["civil_protection", "whole_municipality"] = "civil_protection"
    chat_rate_per_s: float = Field(1.0, gt=0)  # Telegram and Viber, one chat (bursts of 5)
    conversation_lease_s: float = Field(30.0, gt=0)  # a crashed instance's chats are taken over after this
    events_poll_s: float = Field(0.2, gt=0)  # live monitor / web chat across instances without a change stream

    # Complaints: an open ticket of the same category this close and this recent is offered as a duplicate
    duplicate_radius_m: float = Field(50, ge=0)
    duplicate_days: int = Field(30, ge=0)

    # Personal data (issue 14): the privacy notice's controller and DPO contact, and the retention periods in days
    privacy_controller: str = "Δήμος Χανίων / Municipality of Chania, Κυδωνίας 29, 73135 Χανιά"
    dpo_email: str | None = None  # the DPO's address; unset: the notice names the controller's address only
    dpo_phone: str | None = None
    privacy_notice_first_message: bool = True  # the first reply of a new conversation links the privacy notice
    retention_messages_days: int = Field(365, ge=1)  # messages and inactive conversations
    retention_photos_days: int = Field(730, ge=0)  # ticket photos, counted from the ticket's closing
    retention_phone_days: int = Field(0, ge=0)  # call-back phone numbers, counted from the ticket's closing
    retention_audit_days: int = Field(1826, ge=1)  # the staff audit log (5 years)
    retention_interval_h: float = Field(24, gt=0)  # how often the service runs the retention job

    # Geocoding typed addresses (issue 9): a Nominatim server; unset, the typed text is kept and a pin asked for
    geocoder_url: str | None = None  # e.g. https://nominatim.openstreetmap.org (mind its usage policy)
    geocoder_user_agent: str = "chania-civic-chatbot/1.0 (Municipality of Chania)"
    geocoder_timeout_s: float = Field(5.0, gt=0)
    geocoder_min_delay_s: float = Field(1.0, ge=0)  # between two requests (Nominatim's policy: at most 1 per second)

    # Talking to a person (issue 9): when staff answer the chat, Europe/Athens, closed on Greek public holidays
    office_days: str = "mon-fri"
    office_hours: str = "08:00-15:00"
    # a taken-over chat goes back to the bot after this many minutes without a take-over or reply of its holder
    # (0: never by idleness), and at the end of office hours; checked every HANDOFF_RELEASE_POLL_S seconds
    handoff_idle_release_min: float = Field(30, ge=0)
    handoff_release_poll_s: float = Field(60, gt=0)

    # Open311 GeoReport v2 (/open311): the jurisdiction_id other systems send (checked when given)
    open311_jurisdiction_id: str = Field("chania.gr", min_length=1, max_length=100)

    @field_validator("public_url", "rasa_url", "telegram_api_url", "viber_api_url", "geocoder_url")
    @classmethod
    def _strip_slash(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")

    @field_validator("office_days")
    @classmethod
    def _office_days(cls, v: str) -> str:
        from bot.handoff.hours import parse_days

        parse_days(v)
        return v

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, v: str) -> str:
        from bot.handoff.hours import parse_hours

        parse_hours(v)
        return v

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_charset(cls, v: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -
        if v is not None:
            s = v.get_secret_value()
            if not (1 <= len(s) <= 256) or not all(c.isascii() and (c.isalnum() or c in "_-") for c in s):
                raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ -")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.telegram_token and self.public_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_TOKEN and PUBLIC_URL are set")
        if self.rasa_url and not self.rasa_token:
            raise ValueError("RASA_TOKEN is required when RASA_URL is set")
        return self

    @property
    def demo(self) -> bool:
        return self.mongodb_uri is None

    @property
    def has_real_channels(self) -> bool:
        return bool(self.telegram_token or self.viber_token)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a clear message (not a traceback) when something is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"  {name}: {err['msg']}")
        raise SystemExit("Invalid configuration:\n" + "\n".join(lines)) from None
