"""Settings read from the environment: safe development defaults, a strict production mode.

Covered: production refuses to start without a long secret key or an https
base URL; development makes a secret key once, private to its owner, and
reuses it; bad values are refused with a message naming the variable; the
defaults keep the database and the documents under var/.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tribune.settings import PROJECT_ROOT, ConfigurationError, load_settings

PRODUCTION = {
    "TRIBUNE_ENV": "production",
    "TRIBUNE_SECRET_KEY": "k" * 48,
    "TRIBUNE_BASE_URL": "https://tribunals.example.ca",
    "TRIBUNE_DATABASE_URL": "postgresql+asyncpg://tribune@db/tribune",
    "TRIBUNE_PAYMENT_PROVIDER": "stripe",
    "TRIBUNE_STRIPE_SECRET_KEY": "sk_test_0123456789",
    "TRIBUNE_STRIPE_WEBHOOK_SECRET": "whsec_0123456789",
}


def test_production_starts_with_a_real_key_and_an_https_address() -> None:
    settings = load_settings(PRODUCTION)
    assert settings.is_production
    assert settings.secret_key == "k" * 48
    assert settings.cookie_prefix == "__Host-"
    # Production runs its jobs in separate worker processes.
    assert settings.inline_worker is False


@pytest.mark.parametrize("secret_key", [None, "", "too-short-0123456789"])
def test_production_refuses_to_start_without_a_long_secret_key(secret_key: str | None) -> None:
    environ = dict(PRODUCTION)
    environ.pop("TRIBUNE_SECRET_KEY")
    if secret_key is not None:
        environ["TRIBUNE_SECRET_KEY"] = secret_key
    with pytest.raises(ConfigurationError, match=r"TRIBUNE_SECRET_KEY .*at least 32 characters"):
        load_settings(environ)


@pytest.mark.parametrize("base_url", [None, "http://tribunals.example.ca"])
def test_production_refuses_to_start_without_an_https_address(base_url: str | None) -> None:
    environ = dict(PRODUCTION)
    environ.pop("TRIBUNE_BASE_URL")
    if base_url is not None:
        environ["TRIBUNE_BASE_URL"] = base_url
    with pytest.raises(ConfigurationError, match=r"TRIBUNE_BASE_URL must be an https://"):
        load_settings(environ)


def test_development_makes_a_private_secret_key_once_and_reuses_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    environ = {"TRIBUNE_ENV": "development", "TRIBUNE_DATA_DIR": str(data_dir)}

    first = load_settings(environ)
    key_file = data_dir / "secret_key"
    assert len(first.secret_key) >= 32
    assert key_file.read_text() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    assert load_settings(environ).secret_key == first.secret_key
    other = load_settings({"TRIBUNE_DATA_DIR": str(tmp_path / "elsewhere")})
    assert other.secret_key != first.secret_key


def test_a_given_development_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = load_settings({"TRIBUNE_DATA_DIR": str(tmp_path), "TRIBUNE_SECRET_KEY": "given"})
    assert settings.secret_key == "given"
    assert not (tmp_path / "secret_key").exists()


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="TRIBUNE_ENV must be one of development, prod"):
        load_settings({"TRIBUNE_ENV": "staging"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRIBUNE_SESSION_IDLE_MINUTES", "thirty", "must be a whole number, not 'thirty'"),
        ("TRIBUNE_SESSION_MAX_HOURS", "1.5", "must be a whole number, not '1.5'"),
        ("TRIBUNE_SESSION_IDLE_MINUTES", "0", "must be at least 1"),
        ("TRIBUNE_SESSION_MAX_HOURS", "-3", "must be at least 1"),
        ("TRIBUNE_INLINE_WORKER", "maybe", "must be true or false, not 'maybe'"),
        ("TRIBUNE_PATTERN_TIME_LIMIT_MS", "0", "must be at least 1"),
    ],
)
def test_bad_values_are_refused_with_a_message_naming_the_setting(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    environ = {"TRIBUNE_DATA_DIR": str(tmp_path), name: value}
    with pytest.raises(ConfigurationError) as refused:
        load_settings(environ)
    assert str(refused.value) == f"{name} {message}"


def test_numbers_and_switches_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TRIBUNE_DATA_DIR": str(tmp_path),
            "TRIBUNE_SESSION_IDLE_MINUTES": "45",
            "TRIBUNE_SESSION_MAX_HOURS": "8",
            "TRIBUNE_INLINE_WORKER": "off",
            "TRIBUNE_BASE_URL": "http://localhost:9000/",
            "TRIBUNE_PATTERN_TIME_LIMIT_MS": "250",
        }
    )
    assert settings.session_idle_minutes == 45
    assert settings.pattern_time_limit_ms == 250
    assert settings.session_max_hours == 8
    assert settings.inline_worker is False
    assert settings.base_url == "http://localhost:9000"


def test_the_defaults_keep_everything_under_var() -> None:
    # A given key, so that reading the defaults writes nothing into the project.
    settings = load_settings({"TRIBUNE_SECRET_KEY": "a-development-key"})
    var = (PROJECT_ROOT / "var").resolve()
    assert settings.is_development
    assert settings.data_dir == var
    assert settings.database_url == f"sqlite+aiosqlite:///{var / 'tribune.sqlite3'}"
    assert settings.storage_url == str(var / "documents")
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.smtp_url is None
    assert settings.inline_worker is True
    assert settings.cookie_prefix == ""
    assert (settings.session_idle_minutes, settings.session_max_hours) == (30, 12)


def test_video_hearings_default_to_a_public_domain_without_tokens(tmp_path: Path) -> None:
    jitsi = load_settings({"TRIBUNE_DATA_DIR": str(tmp_path)}).jitsi
    assert (jitsi.mode, jitsi.domain, jitsi.tokens) == ("off", "meet.jit.si", False)


def test_the_jitsi_modes_are_read_with_their_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "jaas.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    base = {"TRIBUNE_DATA_DIR": str(tmp_path)}
    hosted = load_settings(
        base
        | {
            "TRIBUNE_JITSI_MODE": "self-hosted",
            "TRIBUNE_JITSI_DOMAIN": "Meet.Example.org",
            "TRIBUNE_JITSI_APP_ID": "tribune",
            "TRIBUNE_JITSI_APP_SECRET": "s" * 32,
        }
    ).jitsi
    assert (hosted.mode, hosted.domain, hosted.app_id, hosted.tokens) == (
        "self-hosted",
        "meet.example.org",
        "tribune",
        True,
    )
    jaas = load_settings(
        base
        | {
            "TRIBUNE_JITSI_MODE": "jaas",
            "TRIBUNE_JITSI_APP_ID": "vpaas-magic-cookie-1234",
            "TRIBUNE_JITSI_KEY_ID": "vpaas-magic-cookie-1234/abcd",
            "TRIBUNE_JITSI_PRIVATE_KEY_FILE": str(key_file),
        }
    ).jitsi
    assert jaas.domain == "8x8.vc"
    assert jaas.private_key.startswith("-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"TRIBUNE_JITSI_MODE": "zoom"},
            "TRIBUNE_JITSI_MODE must be one of off, self-hosted, jaas",
        ),
        ({"TRIBUNE_JITSI_DOMAIN": "https://meet.example.org/"}, "TRIBUNE_JITSI_DOMAIN is a host"),
        (
            {"TRIBUNE_JITSI_MODE": "self-hosted", "TRIBUNE_JITSI_APP_ID": "tribune"},
            "TRIBUNE_JITSI_MODE=self-hosted needs",
        ),
        ({"TRIBUNE_JITSI_MODE": "jaas"}, "TRIBUNE_JITSI_MODE=jaas needs"),
        ({"TRIBUNE_JITSI_PRIVATE_KEY_FILE": "/nowhere/key.pem"}, "cannot be read"),
    ],
)
def test_a_jitsi_setting_that_cannot_work_is_refused_naming_it(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings({"TRIBUNE_DATA_DIR": str(tmp_path)} | values)
    assert message in str(refused.value)


def test_payments_default_to_the_sandbox_in_development_only(tmp_path: Path) -> None:
    development = load_settings({"TRIBUNE_ENV": "development", "TRIBUNE_DATA_DIR": str(tmp_path)})
    assert development.payments.provider == "sandbox"
    assert len(development.payments.sandbox_secret) == 64  # derived from the secret key
    environ = {key: value for key, value in PRODUCTION.items() if "PAYMENT" not in key}
    with pytest.raises(ConfigurationError, match="TRIBUNE_PAYMENT_PROVIDER must be set"):
        load_settings(environ)
    staging = load_settings({**environ, "TRIBUNE_PAYMENT_PROVIDER": "sandbox"})
    assert staging.payments.provider == "sandbox"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"TRIBUNE_PAYMENT_PROVIDER": "paypal"}, "must be one of sandbox, stripe"),
        ({"TRIBUNE_STRIPE_WEBHOOK_SECRET": ""}, "needs TRIBUNE_STRIPE_SECRET_KEY"),
        ({"TRIBUNE_CHECKOUT_MINUTES": "10"}, "TRIBUNE_CHECKOUT_MINUTES"),
    ],
)
def test_bad_payment_settings_are_refused_naming_the_variable(
    changes: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({**PRODUCTION, **changes})
