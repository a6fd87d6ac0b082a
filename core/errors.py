"""The protocol by which a domain error reaches an API client without the ground importing its app."""


class DomainError(Exception):
    """An error a service raises for its caller to show: the API answers `api_status` with
    `api_errors()` in its error format, so core's exception handler needs no import of the app.

    Subclasses set `api_status` and override `api_errors` to list
    {"field": str | None, "code": str, "message": str} dicts.
    """

    api_status = 400

    def api_errors(self) -> list[dict]:
        return [{"field": None, "code": "invalid", "message": str(self)}]
