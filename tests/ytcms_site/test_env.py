"""The typed environment readers behind settings.py: they must fail loudly and name the variable."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path("/srv/ytcms")


# ---- env_str


def test_env_str_strips_surrounding_whitespace():
    assert env_str("NAME", environ={"NAME": "  ytcms \n"}) == "ytcms"


def test_env_str_treats_blank_as_unset():
    assert env_str("NAME", "fallback", environ={"NAME": "   "}) == "fallback"


def test_env_str_returns_default_when_unset():
    assert env_str("NAME", "fallback", environ={}) == "fallback"


# ---- env_bool


@pytest.mark.parametrize("value", ["true", "TRUE", "True", "1", "yes", "YES", "on", "On", " true "])
def test_env_bool_reads_true_spellings(value):
    assert env_bool("DEBUG", False, environ={"DEBUG": value}) is True


@pytest.mark.parametrize("value", ["false", "FALSE", "False", "0", "no", "NO", "off", "OFF"])
def test_env_bool_reads_false_spellings(value):
    assert env_bool("DEBUG", True, environ={"DEBUG": value}) is False


def test_env_bool_refuses_a_typo_and_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match=r"^DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", False, environ={"DEBUG": "ture"})


def test_env_bool_returns_default_when_unset():
    assert env_bool("DEBUG", True, environ={}) is True


def test_env_bool_returns_default_when_blank():
    assert env_bool("DEBUG", False, environ={"DEBUG": ""}) is False


# ---- env_int


def test_env_int_reads_a_whole_number():
    assert env_int("WORKERS", 1, environ={"WORKERS": " 12 "}) == 12


def test_env_int_refuses_trailing_letters_and_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match=r"^WORKERS='12a' is not a whole number\.$"):
        env_int("WORKERS", 1, environ={"WORKERS": "12a"})


def test_env_int_refuses_a_decimal():
    with pytest.raises(ImproperlyConfigured, match="WORKERS"):
        env_int("WORKERS", 1, environ={"WORKERS": "1.5"})


def test_env_int_accepts_the_minimum():
    assert env_int("WORKERS", 5, minimum=1, environ={"WORKERS": "1"}) == 1


def test_env_int_refuses_a_value_below_the_minimum():
    with pytest.raises(ImproperlyConfigured, match=r"^WORKERS=0 is below the minimum of 1\.$"):
        env_int("WORKERS", 5, minimum=1, environ={"WORKERS": "0"})


def test_env_int_refuses_a_negative_value_below_a_zero_minimum():
    with pytest.raises(ImproperlyConfigured, match="SECURE_HSTS_SECONDS=-1"):
        env_int("SECURE_HSTS_SECONDS", 0, minimum=0, environ={"SECURE_HSTS_SECONDS": "-1"})


def test_env_int_returns_default_when_unset():
    assert env_int("WORKERS", 7, environ={}) == 7


# ---- env_list


def test_env_list_splits_on_commas_and_strips_items():
    assert env_list("HOSTS", environ={"HOSTS": " example.com , www.example.com,api.example.com "}) == [
        "example.com",
        "www.example.com",
        "api.example.com",
    ]


def test_env_list_drops_empty_items():
    assert env_list("HOSTS", environ={"HOSTS": "a,, ,b,"}) == ["a", "b"]


def test_env_list_returns_a_copy_of_the_default_when_unset():
    default = ["localhost"]
    hosts = env_list("HOSTS", default, environ={})
    assert hosts == ["localhost"]
    assert hosts is not default


def test_env_list_without_default_is_empty():
    assert env_list("HOSTS", environ={}) == []


# ---- database_from_url: SQLite


def test_sqlite_relative_path_is_under_the_base_dir():
    database = database_from_url("sqlite:///var/ytcms.sqlite3", base_dir=BASE_DIR)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == "/srv/ytcms/var/ytcms.sqlite3"


def test_sqlite_absolute_path_is_kept():
    database = database_from_url("sqlite:////data/ytcms.sqlite3", base_dir=BASE_DIR)
    assert database["NAME"] == "/data/ytcms.sqlite3"


def test_sqlite_in_memory_is_not_a_file_under_the_base_dir():
    assert database_from_url("sqlite:///:memory:", base_dir=BASE_DIR)["NAME"] == ":memory:"


def test_sqlite_uses_immediate_transactions_and_wal():
    options = database_from_url("sqlite:///db.sqlite3", base_dir=BASE_DIR)["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_sqlite_without_a_path_is_refused():
    with pytest.raises(ImproperlyConfigured, match="names no SQLite file"):
        database_from_url("sqlite://", base_dir=BASE_DIR)


# ---- database_from_url: PostgreSQL


def test_postgres_url_gives_user_password_host_port_and_name():
    database = database_from_url("postgres://ytcms:s3cret@db.internal:6543/catalogue", base_dir=BASE_DIR)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("catalogue", "ytcms", "s3cret")
    assert (database["HOST"], database["PORT"]) == ("db.internal", "6543")


def test_postgres_password_is_percent_decoded():
    database = database_from_url("postgres://ytcms:p%40ss%3Aword@db/catalogue", base_dir=BASE_DIR)
    assert database["PASSWORD"] == "p@ss:word"


def test_postgres_without_port_leaves_port_empty():
    assert database_from_url("postgresql://db/catalogue", base_dir=BASE_DIR)["PORT"] == ""


def test_postgres_query_becomes_options():
    database = database_from_url(
        "postgres://u@db/catalogue?sslmode=require&connect_timeout=5", base_dir=BASE_DIR
    )
    assert database["OPTIONS"] == {"sslmode": "require", "connect_timeout": "5"}


def test_postgres_keeps_connections_and_checks_them_before_reuse():
    database = database_from_url("postgres://u@db/catalogue", base_dir=BASE_DIR, conn_max_age=120)
    assert database["CONN_MAX_AGE"] == 120
    assert database["CONN_HEALTH_CHECKS"] is True


def test_pgsql_scheme_is_postgres_too():
    assert database_from_url("pgsql://db/catalogue", base_dir=BASE_DIR)["ENGINE"].endswith("postgresql")


def test_postgres_socket_directory_is_percent_decoded():
    database = database_from_url("postgres://u@%2Frun%2Fpostgresql/catalogue", base_dir=BASE_DIR)
    assert database["HOST"] == "/run/postgresql"


def test_postgres_without_database_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        database_from_url("postgres://u@db:5432/", base_dir=BASE_DIR)


def test_postgres_error_message_does_not_show_the_password():
    with pytest.raises(ImproperlyConfigured) as raised:
        database_from_url("postgres://u:hunter2@db:5432/", base_dir=BASE_DIR)
    assert "hunter2" not in str(raised.value)
    assert "u:***@db:5432" in str(raised.value)


def test_postgres_port_that_is_not_a_number_is_refused():
    with pytest.raises(ImproperlyConfigured, match="port that is not a number"):
        database_from_url("postgres://u@db:54x2/catalogue", base_dir=BASE_DIR)


@pytest.mark.parametrize("url", ["mysql://u@db/catalogue", "redis://127.0.0.1:6379/0", "db.sqlite3"])
def test_unsupported_scheme_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="is not supported; use sqlite:/// or postgres://"):
        database_from_url(url, base_dir=BASE_DIR)
