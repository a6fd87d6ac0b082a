"""Control endpoints under /_emulator/: seed, inspect and steer the emulator from another process.

Every endpoint takes and returns JSON. A bad request answers 400 ``{"error": "..."}``.
"""

from __future__ import annotations

from .clock import parse_rfc3339
from .content_id import claim_studio_set_policy
from .state import EmulatorState
from .wire import Request, Response, Route

# JSON names of the fault options → EmulatorState.set_faults keyword arguments.
FAULT_OPTIONS = {
    "errorRate": "error_rate",
    "rateLimitRate": "rate_limit_rate",
    "rateLimitReason": "rate_limit_reason",
    "rateLimitNext": "rate_limit_next",
    "quotaExhausted": "quota_exhausted",
    "latencyMs": "latency_ms",
    "operationLatencyMs": "operation_latency_ms",
    "randomSeed": "random_seed",
}


def _body(request: Request) -> dict:
    data = request.json() if request.body else {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def index(state: EmulatorState, request: Request) -> Response:
    return Response.json(
        {
            "emulator": "ytcms YouTube emulator",
            "apis": {
                "dataApi": f"{request.base_url}/youtube/v3/",
                "contentId": f"{request.base_url}/youtube/partner/v1/",
                "reporting": f"{request.base_url}/v1/",
                "tokenUri": f"{request.base_url}/token",
                "authorizeUri": f"{request.base_url}/o/oauth2/auth",
                "revokeUri": f"{request.base_url}/revoke",
            },
            "control": [f"{route.method} {route.pattern}" for route in ROUTES],
        }
    )


def reset(state: EmulatorState, request: Request) -> Response:
    state.reset()
    return Response.json({"ok": True})


def get_state(state: EmulatorState, request: Request) -> Response:
    return Response.json(state.dump(include_bodies=request.param("bodies") in ("1", "true")))


def load_state(state: EmulatorState, request: Request) -> Response:
    seed = _body(request)
    with state.lock:
        if request.param("replace") in ("1", "true"):
            state.reset()
        state.load(seed)
        counts = {name: len(getattr(state, name)) for name in ("videos", "channels", "claims", "reports")}
    return Response.json({"ok": True, "counts": counts})


def get_video(state: EmulatorState, request: Request, video_id: str) -> Response:
    video = state.video(video_id)
    if video is None:
        return Response.json({"error": f"no video {video_id}"}, 404)
    return Response.json(video)


def get_channel(state: EmulatorState, request: Request, channel_id: str) -> Response:
    channel = state.channel(channel_id)
    if channel is None:
        return Response.json({"error": f"no channel {channel_id}"}, 404)
    return Response.json(channel)


def list_claims(state: EmulatorState, request: Request) -> Response:
    return Response.json(
        {"claims": state.claims_for(video_id=request.param("videoId"), asset_id=request.param("assetId"))}
    )


def get_claim(state: EmulatorState, request: Request, claim_id: str) -> Response:
    claim = state.claim(claim_id)
    if claim is None:
        return Response.json({"error": f"no claim {claim_id}"}, 404)
    return Response.json(claim)


def studio_claim_policy(state: EmulatorState, request: Request, claim_id: str) -> Response:
    """{"policy": {"id": "P1"} | {"rules": [{"action": "block"}]}}: the claim's policy changed in Studio."""
    data = _body(request)
    if "policy" not in data:
        raise ValueError('give "policy": {"id": ...} or {"rules": [...]}')
    return Response.json(claim_studio_set_policy(state, claim_id, data["policy"]))


def list_requests(state: EmulatorState, request: Request) -> Response:
    status = request.param("status")
    entries = state.requests(
        operation=request.param("operation"),
        method=request.param("method"),
        path=request.param("path"),
        status=int(status) if status else None,
        api=request.param("api"),
    )
    return Response.json({"requests": entries})


def get_counters(state: EmulatorState, request: Request) -> Response:
    """?operation=youtube.videos.update[&status=200|any] → {"total", "byResource": {id: count}}."""
    operation = request.param("operation")
    if not operation:
        raise ValueError("give operation, e.g. youtube.videos.update")
    status = request.param("status") or "200"
    return Response.json(state.operation_counts(operation, status=None if status == "any" else int(status)))


def clear_requests(state: EmulatorState, request: Request) -> Response:
    state.clear_requests()
    return Response.json({"ok": True})


def get_quota(state: EmulatorState, request: Request) -> Response:
    return Response.json(state.quota_report())


def set_quota(state: EmulatorState, request: Request) -> Response:
    """{"api": "youtube", "project": "...", "limit": N, "used": N, "day": "YYYY-MM-DD"}"""
    data = _body(request)
    api = data.get("api", "youtube")
    if "limit" in data:
        state.set_quota_limit(int(data["limit"]), api=api, project=data.get("project"))
    if "used" in data:
        if not data.get("project"):
            raise ValueError("setting usage needs a project")
        state.set_quota_used(data["project"], int(data["used"]), api=api, day=data.get("day"))
    return Response.json(state.quota_report())


def get_clock(state: EmulatorState, request: Request) -> Response:
    return Response.json(state.clock.describe())


def set_clock(state: EmulatorState, request: Request) -> Response:
    """{"set": "2026-11-28T07:59:00Z", "freeze": false} | {"advance": 3600} | {"reset": true}"""
    data = _body(request)
    if data.get("reset"):
        state.clock.reset()
    if "set" in data:
        state.clock.set(parse_rfc3339(data["set"]), freeze=bool(data.get("freeze")))
    if "advance" in data:
        state.clock.advance(float(data["advance"]))
    return Response.json(state.clock.describe())


def get_faults(state: EmulatorState, request: Request) -> Response:
    return Response.json(state.faults.describe())


def set_faults(state: EmulatorState, request: Request) -> Response:
    """Options as in GET, plus "nextErrors": [503, "rateLimitExceeded", {"status": 500, "match": "..."}]."""
    data = _body(request)
    unknown = set(data) - set(FAULT_OPTIONS) - {"nextErrors"}
    if unknown:
        raise ValueError(f"unknown fault options: {sorted(unknown)}")
    with state.lock:
        state.set_faults(
            **{FAULT_OPTIONS[name]: value for name, value in data.items() if name in FAULT_OPTIONS}
        )
        if data.get("nextErrors"):
            state.fail_next(*data["nextErrors"])
        return Response.json(state.faults.describe())


def clear_faults(state: EmulatorState, request: Request) -> Response:
    state.clear_faults()
    return Response.json(state.faults.describe())


def get_settings(state: EmulatorState, request: Request) -> Response:
    return Response.json(dict(state.settings))


def set_settings(state: EmulatorState, request: Request) -> Response:
    return Response.json(state.configure(**_body(request)))


def revoke(state: EmulatorState, request: Request) -> Response:
    data = _body(request)
    token = data.get("refreshToken")
    if not token:
        raise ValueError("give refreshToken")
    return Response.json({"revoked": state.revoke_refresh_token(token)})


def issue_code(state: EmulatorState, request: Request) -> Response:
    """{"clientId", "redirectUri", "account", "scopes", "codeChallenge", "codeChallengeMethod", "accessType"}"""
    data = _body(request)
    code = state.issue_authorization_code(
        client_id=data["clientId"],
        redirect_uri=data["redirectUri"],
        account=data["account"],
        scopes=data.get("scopes"),
        code_challenge=data.get("codeChallenge"),
        code_challenge_method=data.get("codeChallengeMethod"),
        access_type=data.get("accessType", "offline"),
        prompt=data.get("prompt", ""),
    )
    return Response.json({"code": code})


def issue_token(state: EmulatorState, request: Request) -> Response:
    """{"account", "clientId", "scopes", "lifetime"} → the token endpoint's answer."""
    data = _body(request)
    return Response.json(
        state.issue_access_token(
            account=data["account"],
            client_id=data.get("clientId"),
            scopes=data.get("scopes"),
            project=data.get("project"),
            lifetime=data.get("lifetime"),
        )
    )


def publish_report(state: EmulatorState, request: Request) -> Response:
    """{"contentOwner", "reportTypeId", "id", "startTime", "createTime", "csv" | "csvBase64" | "csvPath"}
    → the new report (see reporting.publish_report); without CSV it holds the owner's catalogue."""
    from . import reporting

    return Response.json(reporting.publish_report(state, _body(request)))


def expire_tokens(state: EmulatorState, request: Request) -> Response:
    return Response.json({"expired": state.expire_access_tokens()})


_C = r"/_emulator"
ROUTES = [
    Route("GET", _C + r"/?", "control.index", "control", index),
    Route("POST", _C + r"/reset", "control.reset", "control", reset),
    Route("GET", _C + r"/state", "control.state.get", "control", get_state),
    Route("POST", _C + r"/state", "control.state.load", "control", load_state),
    Route("GET", _C + r"/videos/(?P<video_id>[^/]+)", "control.videos.get", "control", get_video),
    Route("GET", _C + r"/channels/(?P<channel_id>[^/]+)", "control.channels.get", "control", get_channel),
    Route("GET", _C + r"/claims", "control.claims.list", "control", list_claims),
    Route("GET", _C + r"/claims/(?P<claim_id>[^/]+)", "control.claims.get", "control", get_claim),
    Route(
        "POST",
        _C + r"/claims/(?P<claim_id>[^/]+)/studio-policy",
        "control.claims.studio_policy",
        "control",
        studio_claim_policy,
    ),
    Route("GET", _C + r"/requests", "control.requests.list", "control", list_requests),
    Route("DELETE", _C + r"/requests", "control.requests.clear", "control", clear_requests),
    Route("GET", _C + r"/counters", "control.counters.get", "control", get_counters),
    Route("GET", _C + r"/quota", "control.quota.get", "control", get_quota),
    Route("POST", _C + r"/quota", "control.quota.set", "control", set_quota),
    Route("GET", _C + r"/clock", "control.clock.get", "control", get_clock),
    Route("POST", _C + r"/clock", "control.clock.set", "control", set_clock),
    Route("GET", _C + r"/faults", "control.faults.get", "control", get_faults),
    Route("POST", _C + r"/faults", "control.faults.set", "control", set_faults),
    Route("DELETE", _C + r"/faults", "control.faults.clear", "control", clear_faults),
    Route("GET", _C + r"/settings", "control.settings.get", "control", get_settings),
    Route("POST", _C + r"/settings", "control.settings.set", "control", set_settings),
    Route("POST", _C + r"/oauth/revoke", "control.oauth.revoke", "control", revoke),
    Route("POST", _C + r"/oauth/codes", "control.oauth.codes", "control", issue_code),
    Route("POST", _C + r"/oauth/tokens", "control.oauth.tokens", "control", issue_token),
    Route("POST", _C + r"/reporting/reports", "control.reporting.publish", "control", publish_report),
    Route("POST", _C + r"/oauth/expire-access-tokens", "control.oauth.expire", "control", expire_tokens),
]
