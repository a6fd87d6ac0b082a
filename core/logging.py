"""Log plumbing: request ids, secret redaction and formatters that user text cannot forge.

Wired up by LOGGING in settings.py: every handler gets the RequestIdFilter and the
RedactSecretsFilter, and formats with PlainFormatter (one line per record, continuation lines of a
traceback indented) or JsonFormatter (one JSON object per line, LOG_FORMAT=json).

Modules log through standard loggers (``logging.getLogger("ytcms.youtube")``); nothing here has to
be called by them.
"""

import contextvars
import datetime
import json
import logging
import os
import re
from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver

# The id of the request being served, "-" outside one. Set by RequestIdMiddleware.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

REDACTED = "***"

# Known shapes of secrets. Each pattern keeps what names the secret and replaces the value.
_SECRET_PATTERNS = [
    # Authorization headers and anything that quotes one.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), rf"\g<1>{REDACTED}"),
    # Google OAuth access tokens ("ya29.…") and refresh tokens ("1//…").
    (re.compile(r"\bya29\.[A-Za-z0-9\-._~+/]+"), f"ya29.{REDACTED}"),
    (re.compile(r"(?<![\w/])1//[A-Za-z0-9\-._~+/]{8,}"), f"1//{REDACTED}"),
    # ytcms API tokens (channels_app.ApiToken: "ytc_" and 43 random characters).
    (re.compile(r"\bytc_[A-Za-z0-9\-_]{20,}"), f"ytc_{REDACTED}"),
    # Google API keys.
    (re.compile(r"\bAIza[0-9A-Za-z\-_]{30,}"), f"AIza{REDACTED}"),
    # name=value in query strings and form bodies, "name": "value" in JSON and repr() output.
    (
        re.compile(
            r"(?i)\b((?:access_token|refresh_token|id_token|client_secret|password|passwd|api_key|"
            r"secret_key|private_key|encryption_keys|aws_secret_access_key)"
            r"""["']?\s*[:=]\s*["']?)([^"'&\s,;}]+)"""
        ),
        rf"\g<1>{REDACTED}",
    ),
    # OAuth authorization codes and API keys travel as ?code=… and ?key=… in URLs.
    (re.compile(r"([?&](?:code|key)=)[^&\s\"']+"), rf"\g<1>{REDACTED}"),
    # The password in a URL such as postgres://user:password@host/db.
    (re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^:/@\s]+:)[^@\s/]+(@)"), rf"\g<1>{REDACTED}\g<2>"),
]

# Values shorter than this are not treated as secrets to search for (a 2-character test password
# would turn every "pw" in every message into ***).
_MIN_SECRET_LENGTH = 8


@cache
def _configured_secrets() -> tuple[str, ...]:
    """The secret values this process knows from settings and the environment, longest first."""
    from django.conf import settings

    values = []
    if settings.configured:
        values.append(getattr(settings, "SECRET_KEY", ""))
        values.extend(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
        values.extend(getattr(settings, "ENCRYPTION_KEYS", []) or [])
        for name in ("YOUTUBE_CLIENT_SECRET", "YOUTUBE_API_KEY"):
            values.append(getattr(settings, name, None) or "")
        for database in getattr(settings, "DATABASES", {}).values():
            values.append(database.get("PASSWORD") or "")
    values.append(os.environ.get("AWS_SECRET_ACCESS_KEY", ""))
    secrets = {str(value) for value in values if value and len(str(value)) >= _MIN_SECRET_LENGTH}
    return tuple(sorted(secrets, key=len, reverse=True))


def forget_configured_secrets() -> None:
    """Re-read the secret values (tests that change SECRET_KEY or ENCRYPTION_KEYS call this)."""
    _configured_secrets.cache_clear()


def redact(text: str) -> str:
    """Return text with every known secret value and secret-shaped token replaced by ***."""
    if not text:
        return text
    for secret in _configured_secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# C0 controls except tab, DEL, C1 controls and the Unicode line and paragraph separators: anything
# a terminal or a log viewer could take as the end of a line or as a control sequence.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def escape_control_characters(text: str) -> str:
    """Make text safe for one log line: newlines become \\n, other controls \\xNN or \\uNNNN."""

    def escape(match: re.Match) -> str:
        char = match.group()
        if char in _NAMED_ESCAPES:
            return _NAMED_ESCAPES[char]
        code = ord(char)
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _CONTROL_CHARACTERS.sub(escape, text)


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record as ``record.request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ClientErrorTracebackFilter(logging.Filter):
    """Log a refused request (4xx) as its one line, without the traceback of the exception behind it.

    Django logs PermissionDenied (403) and SuspiciousOperation (400) with exc_info: a traceback per
    refusal, though nothing failed. A 5xx keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int) and status_code < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class RedactSecretsFilter(logging.Filter):
    """Replace secrets in the message, its arguments and the traceback before any handler formats it.

    The message is rendered here (msg % args) so that a secret passed as an argument is caught too.
    """

    _traceback_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _indent_continuation(text: str) -> str:
    """Indent every line of a traceback so that none of them can pass for a record of its own."""
    return "\n".join("    " + escape_control_characters(line) for line in text.splitlines())


class PlainFormatter(logging.Formatter):
    """``time LEVEL logger [request id] message``: one line per record.

    Newlines and control characters in the message (and so in user text passed as an argument) are
    escaped; a traceback follows on indented lines. A line that starts in column 0 is therefore
    always the start of a real record.
    """

    default_format = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

    def __init__(self, fmt=None, datefmt=None, style="%", validate=True, **kwargs):
        super().__init__(fmt or self.default_format, datefmt, style, validate, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        record.message = redact(escape_control_characters(record.getMessage()))
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        extra = [record.exc_text, self.formatStack(record.stack_info) if record.stack_info else ""]
        for block in extra:
            if block:
                line += "\n" + _indent_continuation(redact(block))
        return line


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key not in entry:
                entry[key] = _redact_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        # json.dumps escapes newlines and C0 controls; the few line breaks it leaves raw with
        # ensure_ascii=False (NEL, LS, PS) are escaped here, so one record stays one line.
        text = json.dumps(entry, ensure_ascii=False, default=str)
        return _JSON_RAW_BREAKS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_JSON_RAW_BREAKS = re.compile("[\x7f-\x9f\u2028\u2029]")


@receiver(setting_changed)
def _forget_secrets_on_setting_change(*, setting, **kwargs):
    if setting in {
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "ENCRYPTION_KEYS",
        "DATABASES",
    } or setting.startswith("YOUTUBE_"):
        forget_configured_secrets()
