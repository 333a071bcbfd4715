"""The one place that reads the environment.

Every setting is a ``TRIBUNE_*`` variable with a safe development default;
production refuses to start without a real secret key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production")


class ConfigurationError(RuntimeError):
    """The environment does not describe a deployment that can start."""


JITSI_MODES = ("off", "self-hosted", "jaas")


@dataclass(frozen=True)
class JitsiSettings:
    """Where video hearings are held, and how their tokens are signed.

    ``off`` (the default, for ``make run``): rooms on ``domain`` without tokens, the room's
    unguessable name the only guard. ``self-hosted``: Prosody's token authentication, HS256
    with ``app_id`` (issuer and audience) and ``app_secret``. ``jaas``: 8x8's Jitsi as a
    Service, RS256 with ``private_key`` (PEM), ``key_id`` and ``app_id``."""

    mode: str = "off"
    domain: str = "meet.jit.si"
    app_id: str = ""
    app_secret: str = ""
    private_key: str = ""
    key_id: str = ""
    # Optional endpoints and the secret webhooks are signed with.
    room_size_url: str = ""
    health_url: str = ""
    webhook_secret: str = ""

    @property
    def tokens(self) -> bool:
        return self.mode != "off"


PAYMENT_PROVIDERS = ("sandbox", "stripe")


@dataclass(frozen=True)
class PaymentProviderSettings:
    """Which payment provider takes card payments, and how the platform talks to it.

    ``sandbox`` (the default): the platform's own hosted payment page with test cards, whose
    notifications are signed with ``sandbox_secret`` (derived from the secret key unless
    set). ``stripe``: Stripe Checkout with ``stripe_secret_key``, notifications verified with
    ``stripe_webhook_secret``, at ``stripe_api_url`` (a local stub in tests)."""

    provider: str = "sandbox"
    sandbox_secret: str = ""
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_url: str = "https://api.stripe.com"
    # How long a hosted payment page stays open (Stripe allows 30 minutes to 24 hours).
    checkout_minutes: int = 30
    # The sandbox's "succeeds later" card: how long its bank takes to answer.
    sandbox_late_seconds: int = 60


SMS_PROVIDERS = ("outbox", "gc-notify")
GC_NOTIFY_API_URL = "https://api.notification.canada.ca"


@dataclass(frozen=True)
class SmsSettings:
    """Who sends text messages, and how the platform talks to it.

    ``outbox`` (the default): texts stay in the outbox, where a developer reads them on the
    outbox page; nothing leaves the platform. ``gc-notify``: the Government of Canada's GC
    Notify, at ``gc_notify_api_url`` with ``gc_notify_api_key``, every text sent through the
    template ``gc_notify_template_id`` whose content is the one placeholder ``((body))``. The
    provider's callbacks (delivery receipts, received texts) carry ``callback_token`` as a
    bearer token; without one they are all refused. At most ``per_minute`` texts are handed
    to the provider in any minute (GC Notify allows 1,000 API requests a minute per key)."""

    provider: str = "outbox"
    gc_notify_api_url: str = GC_NOTIFY_API_URL
    gc_notify_api_key: str = ""
    gc_notify_template_id: str = ""
    callback_token: str = ""
    per_minute: int = 1000


@dataclass(frozen=True)
class Settings:
    environment: str
    data_dir: Path
    database_url: str
    # Connections each process keeps open to PostgreSQL (as many again may open under a burst).
    database_pool_size: int
    storage_url: str
    s3_endpoint_url: str | None
    s3_region: str | None
    secret_key: str
    base_url: str
    smtp_url: str | None
    mail_from: str
    session_idle_minutes: int
    session_max_hours: int
    inline_worker: bool
    log_level: str
    scanner_url: str | None
    # The Host names requests may carry; ("*",) accepts any (development).
    allowed_hosts: tuple[str, ...] = ("*",)
    # How long a page waits for answers to be matched against their tribunal's patterns.
    pattern_time_limit_ms: int = 1000
    jitsi: JitsiSettings = JitsiSettings()
    payments: PaymentProviderSettings = PaymentProviderSettings()
    sms: SmsSettings = SmsSettings()

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def cookie_prefix(self) -> str:
        # The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain.
        return "__Host-" if self.is_production else ""


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _development_secret(data_dir: Path) -> str:
    """Return the development secret key, generating it into the data folder once."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Return the settings described by the environment, or raise ConfigurationError."""
    env = os.environ if environ is None else environ
    environment = env.get("TRIBUNE_ENV", "development").strip() or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"TRIBUNE_ENV must be one of {', '.join(ENVIRONMENTS)}")
    production = environment == "production"

    data_dir = Path(env.get("TRIBUNE_DATA_DIR") or PROJECT_ROOT / "var").resolve()

    secret_key = env.get("TRIBUNE_SECRET_KEY", "")
    if production:
        if len(secret_key) < 32:
            raise ConfigurationError(
                "TRIBUNE_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production"
            )
    elif not secret_key:
        secret_key = _development_secret(data_dir)

    base_url = env.get("TRIBUNE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    if production and not base_url.startswith("https://"):
        raise ConfigurationError("TRIBUNE_BASE_URL must be an https:// address in production")

    return Settings(
        environment=environment,
        data_dir=data_dir,
        database_url=env.get("TRIBUNE_DATABASE_URL")
        or f"sqlite+aiosqlite:///{data_dir / 'tribune.sqlite3'}",
        database_pool_size=_int(env, "TRIBUNE_DATABASE_POOL_SIZE", 10),
        storage_url=env.get("TRIBUNE_STORAGE_URL") or str(data_dir / "documents"),
        s3_endpoint_url=env.get("TRIBUNE_S3_ENDPOINT_URL") or None,
        s3_region=env.get("TRIBUNE_S3_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        secret_key=secret_key,
        base_url=base_url,
        smtp_url=env.get("TRIBUNE_SMTP_URL") or None,
        mail_from=env.get("TRIBUNE_MAIL_FROM", "Tribune <no-reply@tribune.localhost>"),
        session_idle_minutes=_int(env, "TRIBUNE_SESSION_IDLE_MINUTES", 30),
        session_max_hours=_int(env, "TRIBUNE_SESSION_MAX_HOURS", 12),
        inline_worker=_bool(env, "TRIBUNE_INLINE_WORKER", not production),
        log_level=env.get("TRIBUNE_LOG_LEVEL", "INFO").upper(),
        scanner_url=env.get("TRIBUNE_SCANNER_URL") or None,
        pattern_time_limit_ms=_int(env, "TRIBUNE_PATTERN_TIME_LIMIT_MS", 1000),
        allowed_hosts=_allowed_hosts(env, base_url, production),
        jitsi=_jitsi(env),
        payments=_payments(env, secret_key, production),
        sms=_sms(env),
    )


def _sms(environ: Mapping[str, str]) -> SmsSettings:
    provider = environ.get("TRIBUNE_SMS_PROVIDER", "outbox").strip().lower() or "outbox"
    if provider not in SMS_PROVIDERS:
        raise ConfigurationError(f"TRIBUNE_SMS_PROVIDER must be one of {', '.join(SMS_PROVIDERS)}")
    settings = SmsSettings(
        provider=provider,
        gc_notify_api_url=environ.get("TRIBUNE_GC_NOTIFY_API_URL", GC_NOTIFY_API_URL)
        .strip()
        .rstrip("/")
        or GC_NOTIFY_API_URL,
        gc_notify_api_key=environ.get("TRIBUNE_GC_NOTIFY_API_KEY", "").strip(),
        gc_notify_template_id=environ.get("TRIBUNE_GC_NOTIFY_TEMPLATE_ID", "").strip(),
        callback_token=environ.get("TRIBUNE_SMS_CALLBACK_TOKEN", "").strip(),
        per_minute=_int(environ, "TRIBUNE_SMS_PER_MINUTE", 1000),
    )
    if provider == "gc-notify" and not (
        settings.gc_notify_api_key and settings.gc_notify_template_id and settings.callback_token
    ):
        # Without the callback token every delivery receipt is refused, and a number that can
        # no longer receive texts would be texted for ever.
        raise ConfigurationError(
            "TRIBUNE_SMS_PROVIDER=gc-notify needs TRIBUNE_GC_NOTIFY_API_KEY, "
            "TRIBUNE_GC_NOTIFY_TEMPLATE_ID and TRIBUNE_SMS_CALLBACK_TOKEN"
        )
    return settings


def _payments(
    environ: Mapping[str, str], secret_key: str, production: bool
) -> PaymentProviderSettings:
    provider = environ.get("TRIBUNE_PAYMENT_PROVIDER", "sandbox").strip().lower() or "sandbox"
    if provider not in PAYMENT_PROVIDERS:
        raise ConfigurationError(
            f"TRIBUNE_PAYMENT_PROVIDER must be one of {', '.join(PAYMENT_PROVIDERS)}"
        )
    settings = PaymentProviderSettings(
        provider=provider,
        sandbox_secret=environ.get("TRIBUNE_SANDBOX_WEBHOOK_SECRET", "")
        or hashlib.sha256(f"sandbox-webhooks:{secret_key}".encode()).hexdigest(),
        stripe_secret_key=environ.get("TRIBUNE_STRIPE_SECRET_KEY", "").strip(),
        stripe_webhook_secret=environ.get("TRIBUNE_STRIPE_WEBHOOK_SECRET", "").strip(),
        stripe_api_url=environ.get("TRIBUNE_STRIPE_API_URL", "https://api.stripe.com")
        .strip()
        .rstrip("/"),
        checkout_minutes=_int(environ, "TRIBUNE_CHECKOUT_MINUTES", 30, minimum=30),
        sandbox_late_seconds=_int(environ, "TRIBUNE_SANDBOX_LATE_SECONDS", 60),
    )
    if provider == "stripe" and not (settings.stripe_secret_key and settings.stripe_webhook_secret):
        raise ConfigurationError(
            "TRIBUNE_PAYMENT_PROVIDER=stripe needs TRIBUNE_STRIPE_SECRET_KEY and "
            "TRIBUNE_STRIPE_WEBHOOK_SECRET"
        )
    if production and not environ.get("TRIBUNE_PAYMENT_PROVIDER", "").strip():
        # The sandbox marks fees paid without money: a deployment must choose it knowingly.
        raise ConfigurationError(
            "TRIBUNE_PAYMENT_PROVIDER must be set in production: stripe, or sandbox for a "
            "test deployment that takes no real money"
        )
    return settings


def _jitsi(environ: Mapping[str, str]) -> JitsiSettings:
    mode = environ.get("TRIBUNE_JITSI_MODE", "off").strip().lower() or "off"
    if mode not in JITSI_MODES:
        raise ConfigurationError(f"TRIBUNE_JITSI_MODE must be one of {', '.join(JITSI_MODES)}")
    domain = environ.get("TRIBUNE_JITSI_DOMAIN", "").strip().lower()
    domain = domain or ("8x8.vc" if mode == "jaas" else "meet.jit.si")
    if not re.fullmatch(r"[a-z0-9.-]+(:[0-9]{1,5})?", domain):
        raise ConfigurationError(
            "TRIBUNE_JITSI_DOMAIN is a host name (and port), like meet.example.org"
        )
    private_key = ""
    key_file = environ.get("TRIBUNE_JITSI_PRIVATE_KEY_FILE", "").strip()
    if key_file:
        try:
            private_key = Path(key_file).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(
                f"TRIBUNE_JITSI_PRIVATE_KEY_FILE cannot be read: {error.strerror}"
            ) from error
    settings = JitsiSettings(
        mode=mode,
        domain=domain,
        app_id=environ.get("TRIBUNE_JITSI_APP_ID", "").strip(),
        app_secret=environ.get("TRIBUNE_JITSI_APP_SECRET", ""),
        private_key=private_key,
        key_id=environ.get("TRIBUNE_JITSI_KEY_ID", "").strip(),
        room_size_url=environ.get("TRIBUNE_JITSI_ROOM_SIZE_URL", "").strip(),
        health_url=environ.get("TRIBUNE_JITSI_HEALTH_URL", "").strip(),
        webhook_secret=environ.get("TRIBUNE_JITSI_WEBHOOK_SECRET", ""),
    )
    if mode == "self-hosted" and not (settings.app_id and len(settings.app_secret) >= 32):
        raise ConfigurationError(
            "TRIBUNE_JITSI_MODE=self-hosted needs TRIBUNE_JITSI_APP_ID and a "
            "TRIBUNE_JITSI_APP_SECRET of at least 32 characters"
        )
    if mode == "jaas" and not (settings.app_id and settings.key_id and settings.private_key):
        raise ConfigurationError(
            "TRIBUNE_JITSI_MODE=jaas needs TRIBUNE_JITSI_APP_ID, TRIBUNE_JITSI_KEY_ID and "
            "TRIBUNE_JITSI_PRIVATE_KEY_FILE"
        )
    return settings


def _allowed_hosts(environ: Mapping[str, str], base_url: str, production: bool) -> tuple[str, ...]:
    """Return the Host names to serve: TRIBUNE_ALLOWED_HOSTS (comma-separated, ``*.example.org``
    allowed), by default the base URL's host in production and any host in development."""
    listed = [host.strip().lower() for host in environ.get("TRIBUNE_ALLOWED_HOSTS", "").split(",")]
    hosts = tuple(host for host in listed if host)
    if hosts:
        return hosts
    if production:
        return (urlsplit(base_url).hostname or "",)
    return ("*",)
