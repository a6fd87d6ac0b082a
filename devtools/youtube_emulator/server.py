"""The HTTP server and the request pipeline (faults → authentication → quota → handler → log)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import content_id, control, data_api, oauth, reporting
from .clock import rfc3339
from .errors import ApiError, google_error, invalid_credentials, not_emulated, quota_exceeded
from .state import FAULT_REASONS, QUOTA_APIS, EmulatorState, answer_cost
from .wire import Request, Response, Route

logger = logging.getLogger(__name__)

OAUTH_ROUTES = [
    Route("POST", r"/(?:token|oauth2/v4/token)", "oauth.token", "oauth", oauth.token_endpoint, 0, (), "none"),
    Route(
        "GET", r"/o/oauth2/(?:v2/)?auth", "oauth.authorize", "oauth", oauth.authorize_endpoint, 0, (), "none"
    ),
    Route(
        "POST", r"/(?:revoke|o/oauth2/revoke)", "oauth.revoke", "oauth", oauth.revoke_endpoint, 0, (), "none"
    ),
]
ROUTES = [*control.ROUTES, *OAUTH_ROUTES, *data_api.ROUTES, *content_id.ROUTES, *reporting.ROUTES]
# Paths of the emulated APIs; a method the emulator lacks there answers 501 rather than 404.
API_PREFIXES = {
    "/youtube/v3/": "youtube",
    "/youtube/partner/v1/": "youtubePartner",
    "/v1/": "youtubereporting",
}
# Body fields never copied into the request log.
SECRET_FIELDS = ("client_secret",)


class EmulatorApp:
    """Answers one ``Request`` with one ``Response``; knows nothing about sockets."""

    def __init__(self, state: EmulatorState):
        self.state = state

    def handle(self, request: Request) -> Response:
        route, groups = self._resolve(request)
        if route is None:
            return self._unrouted(request)
        if route.api == "control":
            try:
                return route.handler(self.state, request, **groups)
            except ApiError as error:
                return Response.from_error(error)
            except (ValueError, KeyError, TypeError) as error:
                return Response.json({"error": f"{type(error).__name__}: {error}"}, 400)
        return self._handle_api(route, groups, request)

    def _resolve(self, request: Request) -> tuple[Route | None, dict]:
        for route in ROUTES:
            if route.method == request.method:
                match = route.regex.match(request.path)
                if match:
                    return route, match.groupdict()
        return None, {}

    def _unrouted(self, request: Request) -> Response:
        if request.path in ("/", ""):
            return control.index(self.state, request)
        for prefix, api in API_PREFIXES.items():
            if request.path.startswith(prefix):
                operation = f"{api} {request.method} {request.path}"
                response = Response.from_error(not_emulated(operation))
                self._log(request, api, operation, response, None, None, 0, fault=False)
                return response
        return Response.json(
            {"error": {"code": 404, "message": f"Not Found: {request.path}", "status": "NOT_FOUND"}}, 404
        )

    def _handle_api(self, route: Route, groups: dict, request: Request) -> Response:
        state = self.state
        latency = state.faults.latency_of(route.operation)
        if latency:
            time.sleep(latency / 1000)  # outside the lock: other requests keep flowing
        with state.lock:
            project = account = None
            cost = 0
            fault = state.take_fault(
                route.operation, request.method, request.path, api_request=route.api in QUOTA_APIS
            )
            if fault is not None:
                response = self._fault_response(fault, route)
                # An injected backend failure or refused token costs what a real one does.
                if route.api in QUOTA_APIS and (response.status == 401 or response.status >= 500):
                    project = oauth.caller_project(state, request)
                    if project is not None:
                        cost = self._charge(project, route, response)
            else:
                charged = False
                try:
                    if route.api == "oauth":
                        response = route.handler(state, request, **groups)
                    else:
                        try:
                            caller = oauth.authenticate(state, request, route)
                        except ApiError as error:
                            # A token Google issued but no longer accepts still names its project.
                            if error.status == 401 and route.api in QUOTA_APIS:
                                project = oauth.caller_project(state, request)
                                charged = project is not None
                            raise
                        project, account = caller.project, caller.account_id
                        # A request is allowed only if its whole cost still fits in the day's quota.
                        exhausted = state.faults.quota_exhausted or (
                            project is not None
                            and state.quota_used(project, route.api) + route.cost
                            > state.quota_limit(project, route.api)
                        )
                        if exhausted:
                            raise quota_exceeded(route.api, project or "unknown")
                        # From here on the request counts against the quota, whatever happens.
                        charged = project is not None
                        oauth.check_scopes(caller, route)
                        response = route.handler(state, request, caller, **groups)
                except ApiError as error:
                    response = Response.from_error(error)
                except Exception:
                    traceback.print_exc(file=sys.stderr)
                    response = Response.from_error(google_error(500, "internalError", "Internal Error"))
                if charged:
                    cost = self._charge(project, route, response)
            self._log(
                request, route.api, route.operation, response, project, account, cost, fault=fault is not None
            )
        return response

    def _charge(self, project: str, route: Route, response: Response) -> int:
        """Charge the project what this answer costs (state.answer_cost); returns the units."""
        cost = answer_cost(
            route.cost, response.status, charge_rejected_full=self.state.settings["chargeRejectedFull"]
        )
        self.state.charge(project, route.api, cost)
        return cost

    def _fault_response(self, fault: dict, route: Route) -> Response:
        status, reason = fault["status"], fault["reason"]
        if route.api == "oauth":
            error = fault.get("error") or ("internal_failure" if status >= 500 else "invalid_request")
            return Response.json(
                {"error": error, "error_description": fault.get("message") or "Injected fault"}, status
            )
        if reason == "quotaExceeded":
            return Response.from_error(quota_exceeded(route.api, "injected"))
        if reason == "authError":
            return Response.from_error(invalid_credentials(oauth.error_style(route.api)))
        _, domain, message = FAULT_REASONS.get(reason, (status, "global", reason))
        return Response.from_error(
            google_error(status, reason, fault.get("message") or message, fault.get("domain") or domain)
        )

    def _log(
        self,
        request: Request,
        api: str,
        operation: str,
        response: Response,
        project,
        account,
        cost,
        *,
        fault: bool,
    ):
        body = None
        content_type = request.header("content-type") or ""
        if request.body and "json" in content_type:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = request.body.decode("utf-8", "replace")
        elif request.body and "x-www-form-urlencoded" in content_type:
            body = {k: ("***" if k in SECRET_FIELDS else v) for k, v in request.form().items()}
        reason = None
        if response.status >= 400 and isinstance(response.data, dict):
            reason = ApiError(response.status, response.data).reason
        self.state.log_request(
            {
                "time": rfc3339(self.state.clock.now()),
                "method": request.method,
                "path": request.path,
                "params": request.loggable_params(),
                "api": api,
                "operation": operation,
                "status": response.status,
                "reason": reason,
                "quotaCost": cost,
                "project": project,
                "account": account,
                "fault": fault,
                "body": body,
            }
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: httplib2 reuses connections
    server_version = "ytcms-youtube-emulator/1"
    timeout = 60  # an idle keep-alive connection's thread ends after this

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self):
        body = self._read_body()
        split = urlsplit(self.path)
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        try:
            response = self.server.app.handle(request)
        except Exception:  # a bug in the emulator must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            response = Response.from_error(google_error(500, "internalError", "Internal Error"))
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and response.status != 304:
            self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def log_message(self, format, *args):
        if self.server.verbose:
            logger.info("%s - %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class EmulatorServer:
    """The emulator on a real socket.

    >>> server = EmulatorServer(host="127.0.0.1", port=0).start()
    >>> server.url, server.state   # doctest: +SKIP
    >>> server.stop()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state: EmulatorState | None = None,
        seed: dict | None = None,
        verbose: bool = False,
    ):
        self.state = state or EmulatorState()
        if seed:
            self.state.load(seed)
        self.app = EmulatorApp(self.state)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.app = self.app
        self._httpd.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    def start(self) -> EmulatorServer:
        """Serve in a background thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="youtube-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() (from another thread) or shutdown."""
        self._httpd.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
