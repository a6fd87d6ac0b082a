"""The API toolkit every app's endpoints share: body limit, throttles, cursor pages, errors, base views.

The endpoints themselves live with their app (`videos/api.py`, `channels_app/api.py`); who may use
the API at all is the tenancy app's rule (`channels_app/permissions.py`); the router is the
project's (`ytcms_site/api.py`). This module holds the plumbing the settings name in
REST_FRAMEWORK and imports no ytcms app: a domain error reaches the client through the
`DomainError` protocol (`core/errors.py`), not through an import of the app that raises it. DRF imports those classes while
rest_framework.views is still loading, so this module must not import that (nor the router) at
the top: they are imported where used.
"""

import base64
import binascii
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import Http404
from django.utils.connection import ConnectionProxy
from django.utils.encoding import force_str
from django_filters import IsoDateTimeFilter
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, parsers, serializers, status, throttling
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.errors import DomainError


class StateConflict(exceptions.APIException):
    """The object is not in a state that allows the action (e.g. pushing a reverted change set)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this."
    default_code = "invalid_state"


# ----------------------------------------------------------------------------- request body


class RequestBodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


class LimitedJSONParser(parsers.JSONParser):
    """JSON, refused with 413 past API_MAX_BODY_BYTES: by Content-Length before reading, and
    by counting when the length is not declared."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise _too_large(None, limit)
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            # json gives up on very deep nesting with RecursionError, not ValueError.
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


def _too_large(size: int | None, limit: int) -> RequestBodyTooLarge:
    said = f"{size:,} bytes" if size is not None else "more than that"
    return RequestBodyTooLarge(f"The request body is {said}; the API accepts at most {limit:,} bytes.")


# ----------------------------------------------------------------------------- time filters


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time with any offset Python accepts, turned into UTC before it reaches the query:
    PostgreSQL refuses offsets beyond ±15:59 ("time zone displacement out of range", a 500)."""

    default_error_messages = {"out_of_range": "Enter a time between the years 1 and 9999 in UTC."}

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise DjangoValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class UTCIsoDateTimeFilter(IsoDateTimeFilter):
    """IsoDateTimeFilter for every API time filter (published_after, created_after, …)."""

    field_class = UTCIsoDateTimeField


# ----------------------------------------------------------------------------- throttles


# The counters every web process shares (Redis when REDIS_URL is set; see settings CACHES).
throttle_cache = ConnectionProxy(caches, settings.API_THROTTLE_CACHE)


class UserRateThrottle(throttling.UserRateThrottle):
    """API_THROTTLE_USER for each user, whatever token or session the requests come with."""

    cache = throttle_cache

    def get_rate(self):
        return settings.API_THROTTLE_USER


class BulkRateThrottle(throttling.SimpleRateThrottle):
    """API_THROTTLE_BULK bulk edits (previews included) per user: each one reads up to 10,000 rows."""

    scope = "bulk"
    cache = throttle_cache

    def get_rate(self):
        return settings.API_THROTTLE_BULK

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


# ----------------------------------------------------------------------------- cursor pages

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class KeysetOrdering:
    """One ordering a list offers: a field and the primary key, which breaks ties.

    NULLs of a nullable field sort as PostgreSQL's btree keeps them (after every value when
    ascending, before when descending), on SQLite too, so that one index serves both directions.
    """

    name: str  # as the client writes it: "-published_at"
    model: type[models.Model]
    field: str
    descending: bool
    nullable: bool
    model_field: models.Field

    @property
    def is_pk(self) -> bool:
        return self.field == "pk"

    def order_by(self) -> list:
        if self.is_pk:
            return ["-pk" if self.descending else "pk"]
        if self.descending:
            main = F(self.field).desc(nulls_first=True) if self.nullable else F(self.field).desc()
        else:
            main = F(self.field).asc(nulls_last=True) if self.nullable else F(self.field).asc()
        return [main, "-pk" if self.descending else "pk"]


def keyset_orderings(view) -> dict[str, KeysetOrdering]:
    model = view.model
    orderings = {}
    for name in view.keyset_orderings:
        field_name = name.removeprefix("-")
        if field_name in ("id", "pk"):
            field, field_name = model._meta.pk, "pk"
        else:
            field = model._meta.get_field(field_name)
        orderings[name] = KeysetOrdering(
            name=name,
            model=model,
            field=field_name,
            descending=name.startswith("-"),
            nullable=field.null,
            model_field=field,
        )
    return orderings


def keyset_ordering_for(request, view) -> KeysetOrdering:
    """The ordering the request asks for (`ordering=`), from the view's whitelist."""
    orderings = keyset_orderings(view)
    asked = request.query_params.get("ordering")
    if asked is None or asked == "":
        return next(iter(orderings.values()))
    if asked not in orderings:
        raise exceptions.ValidationError(
            {
                "ordering": [
                    exceptions.ErrorDetail(
                        f"ordering {asked[:40]!r} is not one of {', '.join(orderings)}.",
                        code="invalid_choice",
                    )
                ]
            }
        )
    return orderings[asked]


class KeysetOrderingFilter(BaseFilterBackend):
    """Orders the list by the whitelisted `ordering`; must run before the other filters, so that
    the search sees the ordering it is asked to serve (videos_search may rewrite it)."""

    def filter_queryset(self, request, queryset, view):
        return queryset.order_by(*keyset_ordering_for(request, view).order_by())

    def get_schema_operation_parameters(self, view):
        names = list(view.keyset_orderings)
        return [
            {
                "name": "ordering",
                "required": False,
                "in": "query",
                "description": f"Sort order; the id breaks ties. Default `{names[0]}`.",
                "schema": {"type": "string", "enum": names, "default": names[0]},
            }
        ]


@dataclass(frozen=True)
class Position:
    value: object  # the ordering field's value at the position (None for a NULL)
    key: object  # the primary key there


def _invalid_cursor(message="The cursor is not valid for this list; start again without it."):
    return exceptions.ValidationError({"cursor": [exceptions.ErrorDetail(message, code="invalid_cursor")]})


class KeysetCursorPagination(BasePagination):
    """Cursor pages: each page starts where the last ended, by key (WHERE (field, id) > (v, k)),
    so page 10,000 costs what page 1 costs; no COUNT, no OFFSET.

    The cursor holds the ordering and the position of the row at the page's edge. It is not a
    secret and not signed: a forged one can only point somewhere in the user's own list.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    # Until a page is read (the browsable API asks a detail view's paginator too).
    next_position = previous_position = None
    next_from_start = False

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.ordering = keyset_ordering_for(request, view)
        if not queryset.query.order_by:
            # A view without KeysetOrderingFilter: the cursors still need the keyset's order.
            queryset = queryset.order_by(*self.ordering.order_by())
        self.page_size = self._page_size(request)
        position, reverse = self._decode_cursor(request)
        limit = self.page_size + 1
        self.next_position = self.previous_position = None
        if reverse:
            rows = self._walk(queryset, position, forward=False, limit=limit)
            page = rows[: self.page_size]
            page.reverse()
            if len(rows) > self.page_size:
                self.previous_position = self._position_of(page[0])
            self.next_position = self._position_of(page[-1]) if page else None
            self.next_from_start = not page
        else:
            rows = self._walk(queryset, position, forward=True, limit=limit)
            page = rows[: self.page_size]
            if len(rows) > self.page_size:
                self.next_position = self._position_of(page[-1])
            if position is not None and page:
                self.previous_position = self._position_of(page[0])
            self.next_from_start = False
        return page

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_next_link(self):
        if self.next_position is None:
            if getattr(self, "next_from_start", False):
                return remove_query_param(self.base_url, self.cursor_query_param)
            return None
        return self._link(self.next_position, reverse=False)

    def get_previous_link(self):
        if self.previous_position is None:
            return None
        return self._link(self.previous_position, reverse=True)

    # ---- the walk

    def _walk(self, queryset, position: Position | None, *, forward: bool, limit: int) -> list:
        """Up to `limit` rows after `position` in the list's order (forward) or before it.

        The queryset arrives ordered (KeysetOrderingFilter, maybe rewritten by the search); every
        query here keeps that ordering, or reverses it, so whatever plan was chosen stays.
        """
        spec = self.ordering
        ordered = queryset if forward else queryset.reverse()
        ascending = spec.descending != forward
        if position is None:
            return list(ordered[:limit])
        if spec.is_pk:
            after = ordered.filter(**{"pk__gt" if ascending else "pk__lt": position.key})
            return list(after[:limit])
        key_after = {"pk__gt" if ascending else "pk__lt": position.key}
        if position.value is None:
            # Inside the NULLs: ascending they are the end of the list, descending its start.
            nulls = ordered.filter(**{f"{spec.field}__isnull": True}, **key_after)
            sections = [nulls] if ascending else [nulls, ordered.filter(**{f"{spec.field}__isnull": False})]
        else:
            compare = TupleGreaterThan if ascending else TupleLessThan
            # A row comparison: the index scan starts exactly at the position, ties included.
            values = ordered.filter(compare(Tuple(F(spec.field), F("pk")), (position.value, position.key)))
            if spec.nullable:
                values = values.filter(**{f"{spec.field}__isnull": False})
            sections = [values]
            if ascending and spec.nullable:
                sections.append(ordered.filter(**{f"{spec.field}__isnull": True}))
        rows: list = []
        for section in sections:
            rows += section[: limit - len(rows)]
            if len(rows) >= limit:
                break
        return rows

    # ---- cursors

    def _position_of(self, instance) -> Position:
        value = None if self.ordering.is_pk else getattr(instance, self.ordering.field)
        return Position(value=value, key=instance.pk)

    def _link(self, position: Position, *, reverse: bool) -> str:
        value = position.value
        if isinstance(value, datetime):
            value = value.isoformat()
        payload = {"o": self.ordering.name, "v": value, "k": position.key}
        if reverse:
            payload["r"] = 1
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        encoded = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def _decode_cursor(self, request) -> tuple[Position | None, bool]:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None, False
        if len(encoded) > 2000:
            raise _invalid_cursor()
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            payload = json.loads(raw.decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise _invalid_cursor() from None
        if not isinstance(payload, dict) or set(payload) - {"o", "v", "k", "r"}:
            raise _invalid_cursor()
        if payload.get("o") != self.ordering.name:
            raise _invalid_cursor("The cursor belongs to another ordering; start again without it.")
        key = self._cursor_value(self.ordering.model._meta.pk, payload.get("k"), nullable=False)
        value = None
        if not self.ordering.is_pk:
            value = self._cursor_value(
                self.ordering.model_field, payload.get("v"), nullable=self.ordering.nullable
            )
        return Position(value=value, key=key), payload.get("r") == 1

    def _cursor_value(self, field: models.Field, value, *, nullable: bool):
        if value is None:
            if nullable:
                return None
            raise _invalid_cursor()
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise _invalid_cursor()
        if isinstance(value, str) and ("\x00" in value or len(value) > 300):
            raise _invalid_cursor()
        try:
            parsed = field.to_python(value)
        except DjangoValidationError:
            raise _invalid_cursor() from None
        if isinstance(parsed, datetime):
            if parsed.tzinfo is None:
                raise _invalid_cursor()
            try:
                # A forged offset beyond ±15:59 would make PostgreSQL fail the query.
                parsed = parsed.astimezone(UTC)
            except OverflowError:
                raise _invalid_cursor() from None
        max_length = getattr(field, "max_length", None)
        if isinstance(parsed, str) and max_length and len(parsed) > max_length:
            raise _invalid_cursor()
        return parsed

    def _page_size(self, request) -> int:
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None or asked == "":
            return DEFAULT_PAGE_SIZE
        if not asked.isdigit() or not 1 <= int(asked) <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {
                    "page_size": [
                        exceptions.ErrorDetail(
                            f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}.",
                            code="invalid_page_size",
                        )
                    ]
                }
            )
        return int(asked)

    # ---- schema and browsable API

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last one.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The page before, or null on the first one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from `next` or `previous`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, {DEFAULT_PAGE_SIZE} unless given; at most {MAX_PAGE_SIZE}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]

    def get_html_context(self):
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link()}

    def to_html(self):
        from django.template import loader

        return loader.get_template("rest_framework/pagination/previous_and_next.html").render(
            self.get_html_context()
        )

    @property
    def display_page_controls(self):
        return self.next_position is not None or self.previous_position is not None


# ----------------------------------------------------------------------------- errors

# DRF's names for the rules our validation module also names: one code per rule for clients.
CODE_NAMES = {"max_length": "too_long", "min_length": "too_short", "blank": "required"}


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="Path of the offending value (`title`, `localizations.fr.title`, `tags.3`); "
        "null when the error concerns the whole request.",
    )
    code = serializers.CharField(help_text="Stable, machine-readable: `too_long`, `unknown_field`, …")
    message = serializers.CharField(help_text="For people; may change between versions.")


class ErrorResponseSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


ERROR_DESCRIPTIONS = {
    400: "The request is not valid; each error names the field and a stable code.",
    401: "No valid credentials: a missing, unknown, expired or revoked token.",
    403: "Signed in, but this account may not do this (e.g. a viewer editing).",
    404: "No such object among those this account may see.",
    409: "The change conflicts with the stored data, or the object's state does not allow it "
    "(code `invalid_state`); reload and try again.",
    413: "The request body is larger than the API accepts.",
    415: "The body is not of a type the endpoint reads (JSON; multipart/form-data for uploads).",
    429: "Too many requests; Retry-After says when to try again.",
}

VALIDATION_ERROR_EXAMPLE = OpenApiExample(
    "Title too long",
    value={
        "errors": [
            {"field": "title", "code": "too_long", "message": "title is 101 characters; YouTube allows 100."}
        ]
    },
    response_only=True,
    status_codes=["400"],
)
UNKNOWN_FIELD_EXAMPLE = OpenApiExample(
    "Unknown or read-only field",
    value={
        "errors": [
            {
                "field": "view_count",
                "code": "unknown_field",
                "message": "view_count is read-only: it comes from YouTube.",
            }
        ]
    },
    response_only=True,
    status_codes=["400"],
)


def error_responses(*codes: int) -> dict:
    """drf-spectacular responses for the given error statuses, all in the one error format."""
    return {
        code: OpenApiResponse(ErrorResponseSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes
    }


def _flatten(detail, path: str) -> list[dict]:
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            key = str(key)
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                errors += _flatten(value, path)
            else:
                errors += _flatten(value, f"{path}.{key}" if path else key)
        return errors
    if isinstance(detail, list):
        errors = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                errors += _flatten(item, f"{path}.{index}" if path else str(index))
            else:
                errors += _flatten(item, path)
        return errors
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or None, "code": CODE_NAMES.get(code, code), "message": force_str(detail)}]


def _errors_response(errors: list[dict], status_code: int, headers=None) -> Response:
    return Response({"errors": errors}, status=status_code, headers=headers)


def exception_handler(exc, context):
    """Every API error as {"errors": [{"field", "code", "message"}]}, with a stable code."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return _errors_response(exc.api_errors(), exc.api_status)
    if isinstance(exc, IntegrityError):
        return _errors_response(
            [
                {
                    "field": None,
                    "code": "conflict",
                    "message": "The change conflicts with the stored data (it may have changed "
                    "meanwhile); reload and try again.",
                }
            ],
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such object among those you may see.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail, "")
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        errors = [{"field": None, "code": code, "message": force_str(exc.detail)}]
    response.data = {"errors": errors}
    return response
