from __future__ import annotations

from pathlib import Path

import pytest

from models.core.settings import SETTINGS_HELP, SettingsError, load_settings, served_base_url


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"BIRGE_INSTANCE_PATH": str(tmp_path / "instance"), **values}


def test_defaults_run_on_a_laptop_with_nothing_installed(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))
    instance = tmp_path / "instance"
    assert settings.database_url == f"sqlite:///{instance / 'birge.sqlite3'}"
    assert settings.uses_stub_broker
    assert settings.smtp.is_file and settings.smtp.directory == instance / "outbox"
    assert settings.timezone == "Asia/Almaty"
    assert settings.base_url == "http://127.0.0.1:5000"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(env(tmp_path)).secret_key
    assert len(first) >= 32
    assert load_settings(env(tmp_path)).secret_key == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg_3(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path, BIRGE_DATABASE_URL="postgresql://u@db:5432/birge"))
    assert settings.database_url == "postgresql+psycopg://u@db:5432/birge"


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "user"),
    [
        ("smtp://mail.local:2525", "smtp", "mail.local", 2525, None),
        (
            "smtp+starttls://birge:p%40ss@mail.gov.kz:587",
            "smtp+starttls",
            "mail.gov.kz",
            587,
            "birge",
        ),
        ("smtps://birge:secret@mail.gov.kz", "smtps", "mail.gov.kz", 465, "birge"),
    ],
)
def test_smtp_urls(
    tmp_path: Path, url: str, scheme: str, host: str, port: int, user: str | None
) -> None:
    smtp = load_settings(env(tmp_path, BIRGE_SMTP_URL=url)).smtp
    assert (smtp.scheme, smtp.host, smtp.port, smtp.username) == (scheme, host, port, user)
    if scheme == "smtp+starttls":
        assert smtp.password == "p@ss"
    assert "secret" not in repr(smtp)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("BIRGE_DATABASE_URL", "mysql://root@localhost/birge", "unsupported scheme 'mysql'"),
        ("BIRGE_BROKER_URL", "redis://localhost", "unsupported scheme 'redis'"),
        ("BIRGE_BROKER_URL", "amqp://", "names no host"),
        ("BIRGE_SMTP_URL", "ftp://mail", "unsupported scheme 'ftp'"),
        ("BIRGE_SMTP_URL", "smtp://mail:notaport", "the port is not a number"),
        ("BIRGE_MAIL_FROM", "birge", "is not an email address"),
        ("BIRGE_BASE_URL", "birge.local", "is not an http(s) address"),
        ("BIRGE_TIMEZONE", "Asia/Astana-City", "unknown time zone"),
        ("BIRGE_TICK_SECONDS", "soon", "is not a number"),
        ("BIRGE_SECRET_KEY", "short", "at least 16 characters"),
        ("BIRGE_QUEUE_NAME", "birge queue", "letters, digits"),
    ],
)
def test_malformed_values_name_the_variable_in_one_line(
    tmp_path: Path, variable: str, value: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env(tmp_path, **{variable: value}))
    message = str(raised.value)
    assert message.startswith(f"{variable}: ")
    assert problem in message
    assert "\n" not in message


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    for variable in SETTINGS_HELP:
        assert f"| `{variable}` |" in readme, variable


def test_birge_run_links_to_the_port_it_serves_unless_the_base_url_is_set() -> None:
    everywhere = "0.0.0.0"  # noqa: S104 - only parsed, nothing binds
    derived, warning = served_base_url(load_settings({}, create_instance=False), everywhere, 5101)
    assert derived.base_url == "http://127.0.0.1:5101" and warning is None

    explicit = load_settings({"BIRGE_BASE_URL": "http://127.0.0.1:5000"}, create_instance=False)
    kept, warning = served_base_url(explicit, "127.0.0.1", 5101)
    assert kept.base_url == "http://127.0.0.1:5000"
    assert warning is not None and "5101" in warning and "BIRGE_BASE_URL" in warning

    public = load_settings({"BIRGE_BASE_URL": "https://birge.kz"}, create_instance=False)
    assert served_base_url(public, "127.0.0.1", 5101) == (public, None)
