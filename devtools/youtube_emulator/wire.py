"""Requests, responses, routes and the authenticated caller, independent of the HTTP server."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from .errors import ApiError, google_error


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    base_url: str = ""  # scheme://host:port the client used, for URLs the emulator hands out

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        if not values:
            return None
        return values[0]

    def list_param(self, name: str) -> list[str] | None:
        """A list parameter: repeated (``id=a&id=b``, how googleapiclient sends lists) or comma-separated."""
        values = self.query.get(name)
        if values is None:
            return None
        return [item.strip() for value in values for item in value.split(",") if item.strip()]

    def bool_param(self, name: str) -> bool | None:
        value = self.param(name)
        if value is None:
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise google_error(
            400,
            "invalidBooleanValue",
            f"Invalid boolean value: '{value}'.",
            location=name,
            location_type="parameter",
        )

    def int_param(self, name: str, *, minimum: int, maximum: int, default: int) -> int:
        value = self.param(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            raise google_error(
                400,
                "invalidParameter",
                f"Invalid value '{value}'. Values must be within the range: [{minimum}, {maximum}]",
                location=name,
                location_type="parameter",
            )
        return number

    def json(self):
        """The JSON body; a body that is not JSON is Google's 400 parseError."""
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            raise google_error(400, "parseError", "Parse Error") from None

    def form(self) -> dict[str, str]:
        """A form-encoded body (the token endpoint), first value of each field."""
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}

    def loggable_params(self) -> dict:
        return {name: values[0] if len(values) == 1 else list(values) for name, values in self.query.items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    data: object = None  # the JSON value behind body, kept for the request log

    @classmethod
    def json(cls, data, status: int = 200, headers: dict | None = None) -> Response:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, data)

    @classmethod
    def from_error(cls, error: ApiError) -> Response:
        return cls.json(error.body, error.status, error.headers)


@dataclass
class Route:
    method: str
    pattern: str
    operation: str  # e.g. "youtube.videos.update"; what the request log and fault matching use
    api: str  # "youtube", "youtubePartner", "youtubereporting", "oauth" or "control"
    handler: Callable
    cost: int = 1
    scopes: tuple[str, ...] = ()
    auth: str = "oauth"  # "oauth", "key_or_oauth" or "none"
    regex: re.Pattern = field(init=False)

    def __post_init__(self):
        self.regex = re.compile("^" + self.pattern + "$")


@dataclass
class Caller:
    """Who is calling: an OAuth principal (user or service account) or an API key's project."""

    account: dict | None
    project: str | None
    client_id: str | None
    scopes: frozenset[str]
    via: str  # "oauth" or "key"

    @property
    def account_id(self) -> str | None:
        return self.account["id"] if self.account else None

    @property
    def content_owners(self) -> list[str]:
        return list(self.account["contentOwners"]) if self.account else []

    @property
    def channels(self) -> list[str]:
        return list(self.account["channels"]) if self.account else []


def page_of(items: list, request: Request, *, size: int, token_param: str = "pageToken", invalid=None):
    """Slice ``items`` at the request's page token; return (page, next_token, prev_token)."""
    token = request.param(token_param)
    offset = 0
    if token:
        try:
            decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            if not decoded.startswith("o:"):
                raise ValueError(token)
            offset = int(decoded[2:])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise (
                invalid
                or google_error(
                    400,
                    "invalidPageToken",
                    "The request specifies an invalid page token.",
                    "youtube.parameter",
                    location="pageToken",
                )
            ) from None
    page = items[offset : offset + size] if size else []
    next_token = _token(offset + size) if size and offset + size < len(items) else None
    prev_token = _token(max(offset - size, 0)) if offset > 0 else None
    return page, next_token, prev_token


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")
