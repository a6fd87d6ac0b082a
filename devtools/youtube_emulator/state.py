"""The emulator's in-memory world.

Everything the HTTP handlers read or write lives in one ``EmulatorState`` guarded by ``state.lock`` (an
``RLock``). Tests in the same process use its methods directly; other processes use the ``/_emulator/``
control endpoints, which call the same methods.
"""

from __future__ import annotations

import base64
import copy
import itertools
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from .categories import default_categories
from .clock import Clock, parse_rfc3339, rfc3339
from .resources import (
    etag,
    new_token,
    normalize_asset,
    normalize_channel,
    normalize_claim,
    normalize_content_owner,
    normalize_policy,
    normalize_video,
    public,
)

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
# What a seeded refresh token grants when the seed does not say.
DEFAULT_SCOPES = [
    SCOPE_PREFIX + "youtube",
    SCOPE_PREFIX + "youtube.force-ssl",
    SCOPE_PREFIX + "youtube.readonly",
    SCOPE_PREFIX + "youtubepartner",
    SCOPE_PREFIX + "yt-analytics.readonly",
    SCOPE_PREFIX + "yt-analytics-monetary.readonly",
]

# The APIs whose quota is counted separately. The Data API's is the documented 10,000 units a day
# [doc determine_quota_cost]; the Content ID and Reporting APIs have quotas set by the Partner Manager
# (docs/youtube.md#quota) with no public figure, so they get the same default.
QUOTA_APIS = ("youtube", "youtubePartner", "youtubereporting")
DEFAULT_DAILY_QUOTA = 10_000
# "All API requests, including invalid requests, incur a quota cost of at least one point."
# [doc https://developers.google.com/youtube/v3/determine_quota_cost]
REQUEST_FLOOR_UNITS = 1


def answer_cost(method_cost: int, status: int, *, charge_rejected_full: bool) -> int:
    """What one answered request costs the caller's project.

    Google's table prices a method's call; the only figure it gives for a failed one is the floor
    above. A 401 (the credentials were refused before the method ran) and a 5xx (the backend did not
    serve it) are charged that floor. A rejection by the method itself (another 4xx after
    authentication) costs the full price or the floor, as the setting chargeRejectedFull says.
    """
    if status < 400:
        return method_cost
    if status == 401 or status >= 500 or not charge_rejected_full:
        return min(method_cost, REQUEST_FLOOR_UNITS)
    return method_cost


DEFAULT_SETTINGS = {
    # "expires_in ... typically 3599 or 3600" (docs/youtube.md#oauth).
    "accessTokenLifetime": 3599,
    "authCodeLifetime": 600,
    # Which account approves at /o/oauth2/auth when login_hint names none (None: the only user account).
    "authorizeAccount": None,
    # "approve" or "deny" (deny redirects back with error=access_denied).
    "authorizeDecision": "approve",
    # What status.privacyStatus reverts to when a videos.update with part=status leaves it out
    # ("the video will revert to the default privacy setting" [doc videos/update]); Studio's upload default
    # visibility is Private.
    "defaultPrivacyStatus": "private",
    # A request the method rejects (a 4xx other than 401, after authentication) is charged its method's
    # full cost (True) or 1 unit (False). 401 and 5xx answers always cost 1 unit (see answer_cost).
    "chargeRejectedFull": True,
    # Region whose assignable categories videos.update accepts.
    "regionCode": "US",
    # Unlisted videos are returned by id to anyone (they are viewable by anyone with the link).
    "unlistedVisibleToAll": True,
    # Google keeps at most 100 live refresh tokens per account and client; the oldest is invalidated.
    "refreshTokenLimit": 100,
    # Page sizes where the API does not let the caller choose.
    "contentIdPageSize": 20,
    # The system-managed report jobs every content owner has without calling jobs.create
    # (docs/youtube.md#report-files): "Daily video metadata" and "Daily claims"
    # [doc developers.google.com/youtube/reporting/v1/reports/system_managed/videos, .../claims].
    # An owner whose seed lists system-managed jobs of its own keeps exactly those.
    "systemManagedReportTypes": [
        {"id": "content_owner_video_metadata_a4", "name": "Daily video metadata"},
        {"id": "content_owner_active_claims_a3", "name": "Daily claims"},
    ],
}


@dataclass
class Faults:
    """Injected failures. Rates are fractions of API requests (0.0–1.0)."""

    error_rate: float = 0.0  # answered 503 backendError
    rate_limit_rate: float = 0.0  # answered 403 rate_limit_reason
    rate_limit_reason: str = "rateLimitExceeded"
    rate_limit_next: int = 0  # the next N API requests get 403 rate_limit_reason
    quota_exhausted: bool = False  # every API request gets the quota error
    latency_ms: int = 0
    # Extra latency of single operations, e.g. {"youtube.videos.update": 200}: a slow endpoint.
    operation_latency_ms: dict[str, int] = field(default_factory=dict)
    next_errors: list[dict] = field(default_factory=list)

    def latency_of(self, operation: str) -> int:
        return self.latency_ms + int(self.operation_latency_ms.get(operation, 0))

    def describe(self) -> dict:
        return {
            "errorRate": self.error_rate,
            "rateLimitRate": self.rate_limit_rate,
            "rateLimitReason": self.rate_limit_reason,
            "rateLimitNext": self.rate_limit_next,
            "quotaExhausted": self.quota_exhausted,
            "latencyMs": self.latency_ms,
            "operationLatencyMs": dict(self.operation_latency_ms),
            "nextErrors": copy.deepcopy(self.next_errors),
        }


# reason → (HTTP status, domain, message) for injected errors [doc core_errors].
FAULT_REASONS = {
    "backendError": (503, "global", "Backend Error"),
    "notReady": (503, "global", "Not Ready"),
    "internalError": (500, "global", "Internal Error"),
    "rateLimitExceeded": (403, "usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": (403, "usageLimits", "User Rate Limit Exceeded"),
    "quotaExceeded": (403, "youtube.quota", None),
    "authError": (401, "global", "Invalid Credentials"),
}
STATUS_DEFAULT_REASON = {
    404: "notFound",
    500: "internalError",
    503: "backendError",
    429: "rateLimitExceeded",
    401: "authError",
}


def normalize_fault(spec) -> dict:
    """Accept 503, "503", "backendError" or {"status", "reason", "message", "match"}."""
    if isinstance(spec, int):
        spec = {"status": spec}
    elif isinstance(spec, str):
        spec = {"status": int(spec)} if spec.isdigit() else {"reason": spec}
    if not isinstance(spec, dict):
        raise ValueError(f"not a fault: {spec!r}")
    spec = dict(spec)
    reason = spec.get("reason")
    status = spec.get("status")
    if reason is None:
        if status is None:
            raise ValueError(f"a fault needs a status or a reason: {spec!r}")
        reason = STATUS_DEFAULT_REASON.get(int(status), "backendError")
    known = FAULT_REASONS.get(reason)
    if status is None:
        if known is None:
            raise ValueError(f"unknown fault reason {reason!r}: give a status too")
        status = known[0]
    spec["status"] = int(status)
    spec["reason"] = reason
    return spec


class EmulatorState:
    """The in-memory YouTube: owners, channels, videos, Content ID, reports, OAuth, quota, faults, log."""

    def __init__(self, seed: dict | None = None, *, random_seed: int | None = None):
        self.lock = threading.RLock()
        self.clock = Clock()
        self.random = random.Random(random_seed)
        self.reset()
        if seed:
            self.load(seed)

    # ------------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """Forget everything: data, tokens, quota, faults, log, settings; the clock goes back to real time."""
        with self.lock:
            self.settings = copy.deepcopy(DEFAULT_SETTINGS)
            self.content_owners: dict[str, dict] = {}
            self.accounts: dict[str, dict] = {}
            self.oauth_clients: dict[str, dict] = {}
            self.api_keys: dict[str, dict] = {}
            self.service_accounts: dict[str, dict] = {}
            self.refresh_tokens: dict[str, dict] = {}
            self.access_tokens: dict[str, dict] = {}
            self.auth_codes: dict[str, dict] = {}
            self.grants: set[tuple[str, str]] = set()
            self.channels: dict[str, dict] = {}
            self.videos: dict[str, dict] = {}
            self.video_meta: dict[str, dict] = {}
            self.assets: dict[str, dict] = {}
            self.policies: dict[str, dict] = {}
            self.claims: dict[str, dict] = {}
            self.report_jobs: dict[str, dict] = {}
            self.reports: dict[str, dict] = {}
            self.categories = default_categories()
            self.quota_usage: dict[tuple[str, str, str], int] = {}
            self.quota_limits = {api: DEFAULT_DAILY_QUOTA for api in QUOTA_APIS}
            self.project_quota_limits: dict[tuple[str, str], int] = {}
            self.faults = Faults()
            self.request_log: list[dict] = []
            self._sequence = itertools.count(1)
            self.clock.reset()

    def configure(self, **settings) -> dict:
        """Change settings (see DEFAULT_SETTINGS); unknown names are refused."""
        with self.lock:
            for name, value in settings.items():
                if name not in DEFAULT_SETTINGS:
                    raise ValueError(f"unknown setting {name!r}")
                self.settings[name] = value
            return dict(self.settings)

    # ------------------------------------------------------------------ seeding

    def load(self, seed: dict) -> None:
        """Add (or replace, by id) everything in ``seed``. See README section in the package docstring."""
        if not isinstance(seed, dict):
            raise ValueError("the seed must be a JSON object")
        with self.lock:
            now = self.clock.now()
            if "settings" in seed:
                self.configure(**seed["settings"])
            for name, limit in (seed.get("quotaLimits") or {}).items():
                self.set_quota_limit(int(limit), api=name)
            for region, rows in (seed.get("categories") or {}).items():
                self.categories[region.upper()] = [
                    {
                        "id": str(r["id"]),
                        "title": r.get("title", str(r["id"])),
                        "assignable": bool(r.get("assignable", True)),
                    }
                    for r in rows
                ]
            for raw in seed.get("contentOwners", []):
                owner = normalize_content_owner(raw)
                self.content_owners[owner["id"]] = owner
            for raw in seed.get("accounts", []):
                self.add_account(
                    raw["id"],
                    content_owners=raw.get("contentOwners", []),
                    channels=raw.get("channels", []),
                    service_account=bool(raw.get("serviceAccount", False)),
                )
            for raw in seed.get("oauthClients", []):
                self.add_oauth_client(
                    raw["clientId"],
                    raw["clientSecret"],
                    project=raw.get("project"),
                    redirect_uris=raw.get("redirectUris"),
                )
            for raw in _as_list(seed.get("apiKeys", [])):
                if isinstance(raw, str):
                    raw = {"key": raw}
                self.api_keys[raw["key"]] = {"key": raw["key"], "project": raw.get("project") or raw["key"]}
            for raw in seed.get("serviceAccounts", []):
                self.add_service_account(
                    raw["clientEmail"],
                    raw.get("publicKeyPem") or raw.get("publicKeyPems"),
                    key_id=raw.get("keyId"),
                    project=raw.get("project"),
                    content_owners=raw.get("contentOwners", []),
                    channels=raw.get("channels", []),
                )
            for raw in seed.get("refreshTokens", []):
                record = self.add_refresh_token(
                    raw["token"], client_id=raw["clientId"], account=raw["account"], scopes=raw.get("scopes")
                )
                record["revoked"] = bool(raw.get("revoked", False))
            for raw in seed.get("channels", []):
                channel = normalize_channel(raw, now)
                self.channels[channel["id"]] = channel
            for raw in seed.get("videos", []):
                channel = self.channels.get((raw.get("snippet") or {}).get("channelId"))
                video = normalize_video(raw, channel, now, default_privacy="public")
                self.store_video(video, ever_public=video["status"]["privacyStatus"] == "public")
            for raw in seed.get("policies", []):
                self.policies[raw["id"]] = {
                    "owner": _owner_of(raw, "policy"),
                    "resource": normalize_policy(raw, now),
                }
            for raw in seed.get("assets", []):
                self.assets[raw["id"]] = {
                    "owner": _owner_of(raw, "asset"),
                    "resource": normalize_asset(raw, now),
                }
            for raw in seed.get("claims", []):
                owner = raw.get("contentOwner") or (self.assets.get(raw.get("assetId")) or {}).get("owner")
                if not owner:
                    raise ValueError(f"claim {raw.get('id')} needs contentOwner (or a seeded asset)")
                self.claims[raw["id"]] = {"owner": owner, "resource": normalize_claim(raw, now)}
            for raw in seed.get("reportJobs", []):
                self.add_report_job(raw)
            for raw in seed.get("reports", []):
                self.add_report(raw)

    def add_account(
        self, account_id: str, *, content_owners=(), channels=(), service_account: bool = False
    ) -> dict:
        with self.lock:
            account = self.accounts.setdefault(
                account_id,
                {"id": account_id, "contentOwners": [], "channels": [], "serviceAccount": service_account},
            )
            account["serviceAccount"] = account["serviceAccount"] or service_account
            for owner in content_owners:
                if owner not in account["contentOwners"]:
                    account["contentOwners"].append(owner)
            for channel in channels:
                if channel not in account["channels"]:
                    account["channels"].append(channel)
            return account

    def add_oauth_client(
        self, client_id: str, client_secret: str, *, project: str | None = None, redirect_uris=None
    ) -> dict:
        with self.lock:
            client = {
                "clientId": client_id,
                "clientSecret": client_secret,
                # Quota is counted per Google Cloud project; by default each client is its own project.
                "project": project or client_id,
                "redirectUris": list(redirect_uris or []),
            }
            self.oauth_clients[client_id] = client
            return client

    def add_service_account(
        self, client_email: str, public_key_pem, *, key_id=None, project=None, content_owners=(), channels=()
    ) -> dict:
        with self.lock:
            pems = public_key_pem if isinstance(public_key_pem, dict) else {key_id or "": public_key_pem}
            if not all(isinstance(p, str) and "PUBLIC KEY" in p for p in pems.values()):
                raise ValueError(f"service account {client_email} needs a PEM public key")
            default_project = (
                client_email.split("@", 1)[-1].split(".", 1)[0] if "@" in client_email else client_email
            )
            account = {
                "clientEmail": client_email,
                "publicKeys": dict(pems),
                "project": project or default_project,
            }
            self.service_accounts[client_email] = account
            self.add_account(
                client_email, content_owners=content_owners, channels=channels, service_account=True
            )
            return account

    def add_refresh_token(self, token: str, *, client_id: str, account: str, scopes=None) -> dict:
        with self.lock:
            if client_id not in self.oauth_clients:
                raise ValueError(f"refresh token for unknown OAuth client {client_id!r}")
            self.add_account(account)
            record = {
                "token": token,
                "clientId": client_id,
                "account": account,
                "scopes": list(scopes or DEFAULT_SCOPES),
                "revoked": False,
                "issuedAt": self.clock.timestamp(),
            }
            self.refresh_tokens[token] = record
            self.grants.add((account, client_id))
            return record

    def add_report_job(self, raw: dict) -> dict:
        with self.lock:
            if not raw.get("id") or not raw.get("reportTypeId"):
                raise ValueError(f"a report job needs id and reportTypeId: {raw!r}")
            owner = raw.get("contentOwner")
            channel = raw.get("channel")
            if not owner and not channel:
                raise ValueError(f"report job {raw['id']} needs contentOwner or channel")
            job = {
                "id": raw["id"],
                "reportTypeId": raw["reportTypeId"],
                "name": raw.get("name", raw["reportTypeId"]),
                "createTime": raw.get("createTime") or rfc3339(self.clock.now(), millis=False),
            }
            if raw.get("systemManaged", True):
                job["systemManaged"] = True
            if raw.get("expireTime"):
                job["expireTime"] = raw["expireTime"]
            record = {"contentOwner": owner, "channel": channel, "resource": job}
            self.report_jobs[job["id"]] = record
            return record

    def system_report_jobs(self, owner_id: str) -> list[dict]:
        """The owner's system-managed jobs, created on first sight as YouTube has them from the start.

        Ids are UUIDs derived from owner and report type, so they stay the same across resets.
        """
        with self.lock:
            if owner_id not in self.content_owners:
                return []
            existing = [
                record
                for record in self.report_jobs.values()
                if record["contentOwner"] == owner_id and record["resource"].get("systemManaged")
            ]
            if existing:
                return existing
            for report_type in self.settings["systemManagedReportTypes"]:
                existing.append(
                    self.add_report_job(
                        {
                            "id": str(
                                uuid.uuid5(
                                    uuid.NAMESPACE_URL, f"ytcms-emulator/{owner_id}/{report_type['id']}"
                                )
                            ),
                            "reportTypeId": report_type["id"],
                            "name": report_type.get("name", report_type["id"]),
                            "contentOwner": owner_id,
                            "systemManaged": True,
                        }
                    )
                )
            return existing

    def add_report(self, raw: dict) -> dict:
        with self.lock:
            job = self.report_jobs.get(raw.get("jobId"))
            if not raw.get("id") or job is None:
                raise ValueError(f"a report needs an id and the id of a seeded job: {raw!r}")
            if "csvBase64" in raw:
                body = base64.b64decode(raw["csvBase64"])
            elif "csvPath" in raw:
                with open(raw["csvPath"], "rb") as handle:
                    body = handle.read()
            else:
                csv = raw.get("csv", "")
                body = csv.encode("utf-8") if isinstance(csv, str) else bytes(csv)
            now = self.clock.now()
            start = raw.get("startTime") or rfc3339(now - timedelta(days=1), millis=False)
            report = {
                "id": raw["id"],
                "jobId": raw["jobId"],
                "startTime": start,
                "endTime": raw.get("endTime")
                or rfc3339(parse_rfc3339(start) + timedelta(days=1), millis=False),
                "createTime": raw.get("createTime") or rfc3339(now, millis=False),
            }
            record = {"resource": report, "body": body}
            self.reports[report["id"]] = record
            return record

    def store_video(self, video: dict, *, ever_public: bool) -> None:
        meta = self.video_meta.setdefault(video["id"], {"revision": 0, "everPublic": False})
        meta["revision"] += 1
        meta["everPublic"] = meta["everPublic"] or ever_public
        # The revision is part of the hash, so every successful write changes the ETag.
        video["etag"] = etag(
            {"video": {k: v for k, v in video.items() if k != "etag"}, "rev": meta["revision"]}
        )
        self.videos[video["id"]] = video

    # ------------------------------------------------------------------ reading the world

    def video(self, video_id: str) -> dict | None:
        """The stored video resource with every part, or None."""
        with self.lock:
            found = self.videos.get(video_id)
            return public(found) if found else None

    def channel(self, channel_id: str) -> dict | None:
        with self.lock:
            found = self.channels.get(channel_id)
            return public(found) if found else None

    def claim(self, claim_id: str) -> dict | None:
        with self.lock:
            found = self.claims.get(claim_id)
            return public(found["resource"]) if found else None

    def claims_for(self, *, video_id: str | None = None, asset_id: str | None = None) -> list[dict]:
        with self.lock:
            return [
                public(record["resource"])
                for record in self.claims.values()
                if (video_id is None or record["resource"]["videoId"] == video_id)
                and (asset_id is None or record["resource"]["assetId"] == asset_id)
            ]

    def dump(self, *, include_bodies: bool = False) -> dict:
        """The world in the seed format (load(dump()) rebuilds it)."""
        with self.lock:
            reports = []
            for record in self.reports.values():
                item = dict(record["resource"], size=len(record["body"]))
                if include_bodies:
                    item["csvBase64"] = base64.b64encode(record["body"]).decode()
                reports.append(item)
            return copy.deepcopy(
                {
                    "settings": self.settings,
                    "quotaLimits": self.quota_limits,
                    "contentOwners": list(self.content_owners.values()),
                    "accounts": list(self.accounts.values()),
                    "oauthClients": list(self.oauth_clients.values()),
                    "apiKeys": list(self.api_keys.values()),
                    "serviceAccounts": [
                        {
                            "clientEmail": sa["clientEmail"],
                            "publicKeyPems": sa["publicKeys"],
                            "project": sa["project"],
                        }
                        for sa in self.service_accounts.values()
                    ],
                    "refreshTokens": list(self.refresh_tokens.values()),
                    "channels": [
                        dict(c, contentOwner=c.get("contentOwnerDetails", {}).get("contentOwner"))
                        for c in self.channels.values()
                    ],
                    "videos": list(self.videos.values()),
                    "policies": [
                        dict(r["resource"], contentOwner=r["owner"]) for r in self.policies.values()
                    ],
                    "assets": [dict(r["resource"], contentOwner=r["owner"]) for r in self.assets.values()],
                    "claims": [dict(r["resource"], contentOwner=r["owner"]) for r in self.claims.values()],
                    "reportJobs": [
                        dict(r["resource"], contentOwner=r["contentOwner"], channel=r["channel"])
                        for r in self.report_jobs.values()
                    ],
                    "reports": reports,
                }
            )

    # ------------------------------------------------------------------ OAuth helpers

    def issue_access_token(
        self,
        *,
        account: str,
        client_id: str | None = None,
        scopes=None,
        project: str | None = None,
        lifetime: int | None = None,
        refresh_token: str | None = None,
    ) -> dict:
        """Mint an access token; returns the token endpoint's JSON answer."""
        with self.lock:
            if project is None:
                if client_id in self.oauth_clients:
                    project = self.oauth_clients[client_id]["project"]
                elif account in self.service_accounts:
                    project = self.service_accounts[account]["project"]
            lifetime = int(self.settings["accessTokenLifetime"] if lifetime is None else lifetime)
            token = new_token("ya29.", 60)
            scopes = list(scopes or DEFAULT_SCOPES)
            self.access_tokens[token] = {
                "token": token,
                "account": account,
                "clientId": client_id,
                "project": project,
                "scopes": scopes,
                "expiresAt": self.clock.timestamp() + lifetime,
                "refreshToken": refresh_token,
            }
            return {
                "access_token": token,
                "expires_in": lifetime,
                "scope": " ".join(scopes),
                "token_type": "Bearer",
            }

    def issue_refresh_token(self, *, client_id: str, account: str, scopes=None) -> str:
        with self.lock:
            token = new_token("1//", 64)
            self.add_refresh_token(token, client_id=client_id, account=account, scopes=scopes)
            live = sorted(
                (
                    r
                    for r in self.refresh_tokens.values()
                    if r["account"] == account and r["clientId"] == client_id and not r["revoked"]
                ),
                key=lambda r: r["issuedAt"],
            )
            # The oldest tokens beyond the per-account, per-client limit are silently invalidated.
            for stale in live[: max(len(live) - int(self.settings["refreshTokenLimit"]), 0)]:
                stale["revoked"] = True
            return token

    def revoke_refresh_token(self, token: str) -> bool:
        """Revoke a refresh token and the access tokens minted from it (as the user removing access does)."""
        with self.lock:
            record = self.refresh_tokens.get(token)
            if record is None:
                return False
            record["revoked"] = True
            for access in list(self.access_tokens.values()):
                if access["refreshToken"] == token:
                    del self.access_tokens[access["token"]]
            return True

    def expire_access_tokens(self) -> int:
        """Make every access token expired; returns how many there were."""
        with self.lock:
            now = self.clock.timestamp()
            for record in self.access_tokens.values():
                record["expiresAt"] = min(record["expiresAt"], now - 1)
            return len(self.access_tokens)

    def issue_authorization_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        account: str,
        scopes=None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
        access_type: str = "offline",
        prompt: str = "",
    ) -> str:
        """What /o/oauth2/auth does after consent; lets tests skip the browser."""
        with self.lock:
            if client_id not in self.oauth_clients:
                raise ValueError(f"unknown OAuth client {client_id!r}")
            self.add_account(account)
            code = new_token("4/0A", 60)
            first_grant = (account, client_id) not in self.grants
            self.grants.add((account, client_id))
            self.auth_codes[code] = {
                "clientId": client_id,
                "redirectUri": redirect_uri,
                "account": account,
                "scopes": list(scopes or DEFAULT_SCOPES),
                "codeChallenge": code_challenge,
                "codeChallengeMethod": (code_challenge_method or "plain") if code_challenge else None,
                # A refresh token comes only with access_type=offline, and again only on first consent or
                # with prompt=consent (docs/youtube.md#oauth).
                "offline": access_type == "offline" and (first_grant or "consent" in prompt.split()),
                "expiresAt": self.clock.timestamp() + int(self.settings["authCodeLifetime"]),
                "used": False,
            }
            return code

    # ------------------------------------------------------------------ quota

    def quota_limit(self, project: str | None = None, api: str = "youtube") -> int:
        with self.lock:
            return self.project_quota_limits.get((project, api), self.quota_limits[api])

    def set_quota_limit(self, limit: int, *, api: str = "youtube", project: str | None = None) -> None:
        if api not in QUOTA_APIS:
            raise ValueError(f"unknown API {api!r}; one of {QUOTA_APIS}")
        with self.lock:
            if project is None:
                self.quota_limits[api] = int(limit)
            else:
                self.project_quota_limits[(project, api)] = int(limit)

    def quota_used(self, project: str, api: str = "youtube", day: str | None = None) -> int:
        with self.lock:
            return self.quota_usage.get((project, api, day or self.clock.pacific_day()), 0)

    def set_quota_used(
        self, project: str, used: int, *, api: str = "youtube", day: str | None = None
    ) -> None:
        with self.lock:
            self.quota_usage[(project, api, day or self.clock.pacific_day())] = int(used)

    def charge(self, project: str, api: str, units: int) -> None:
        with self.lock:
            key = (project, api, self.clock.pacific_day())
            self.quota_usage[key] = self.quota_usage.get(key, 0) + units

    def quota_report(self) -> dict:
        with self.lock:
            day = self.clock.pacific_day()
            usage: dict[str, dict[str, int]] = {}
            for (project, api, used_day), units in self.quota_usage.items():
                if used_day == day:
                    usage.setdefault(project, {})[api] = units
            return {
                "day": day,
                "nextReset": rfc3339(self.clock.next_quota_reset()),
                "usage": usage,
                "limits": dict(self.quota_limits),
                "projectLimits": [
                    {"project": p, "api": a, "limit": limit}
                    for (p, a), limit in self.project_quota_limits.items()
                ],
            }

    # ------------------------------------------------------------------ faults

    def set_faults(self, **options) -> dict:
        """Set fault options: error_rate, rate_limit_rate, rate_limit_reason, rate_limit_next,
        quota_exhausted, latency_ms, operation_latency_ms, random_seed."""
        with self.lock:
            if "random_seed" in options:
                self.random.seed(options.pop("random_seed"))
            for name, value in options.items():
                if name == "next_errors" or not hasattr(self.faults, name):
                    raise ValueError(f"unknown fault option {name!r}")
                if name == "operation_latency_ms":
                    if not isinstance(value, dict):
                        raise ValueError('operationLatencyMs takes {"operation": milliseconds}')
                    value = {str(operation): int(ms) for operation, ms in value.items()}
                setattr(self.faults, name, value)
            return self.faults.describe()

    def fail_next(self, *specs, count: int = 1) -> None:
        """Queue errors for the next API requests, e.g. ``fail_next(503, count=2)`` or
        ``fail_next({"reason": "rateLimitExceeded", "match": "youtube.videos.update"})``."""
        with self.lock:
            for spec in specs:
                normalized = normalize_fault(spec)
                self.faults.next_errors.extend(copy.deepcopy(normalized) for _ in range(count))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults = Faults()

    def take_fault(self, operation: str, method: str, path: str, *, api_request: bool) -> dict | None:
        """The fault for this request, if any (queued errors first, then the rates)."""
        with self.lock:
            target = f"{operation} {method} {path}"
            for index, spec in enumerate(self.faults.next_errors):
                match = spec.get("match")
                if (match is None and api_request) or (match is not None and match in target):
                    return self.faults.next_errors.pop(index)
            if not api_request:
                return None
            if self.faults.rate_limit_next > 0:
                self.faults.rate_limit_next -= 1
                return normalize_fault(self.faults.rate_limit_reason)
            if self.faults.error_rate and self.random.random() < self.faults.error_rate:
                return normalize_fault("backendError")
            if self.faults.rate_limit_rate and self.random.random() < self.faults.rate_limit_rate:
                return normalize_fault(self.faults.rate_limit_reason)
            return None

    # ------------------------------------------------------------------ request log

    def log_request(self, entry: dict) -> dict:
        with self.lock:
            entry["seq"] = next(self._sequence)
            self.request_log.append(entry)
            return entry

    def requests(
        self,
        *,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        api: str | None = None,
    ) -> list[dict]:
        """Logged requests, oldest first, filtered by exact operation/method/status/api or path prefix."""
        with self.lock:
            return [
                copy.deepcopy(entry)
                for entry in self.request_log
                if (operation is None or entry["operation"] == operation)
                and (method is None or entry["method"] == method.upper())
                and (path is None or entry["path"].startswith(path))
                and (status is None or entry["status"] == status)
                and (api is None or entry["api"] == api)
            ]

    def clear_requests(self) -> None:
        with self.lock:
            self.request_log.clear()

    def operation_counts(self, operation: str, *, status: int | None = 200) -> dict:
        """How many logged requests of `operation` (answered `status`; None: any) touched each resource.

        The resource is the body's id (videos.update), else the id parameter's ids (videos.list),
        else the path's last segment (claims.patch). E.g. {"total": 3, "byResource": {"v1": 2, "v2": 1}}.
        """
        counts: dict[str, int] = {}
        total = 0
        with self.lock:
            for entry in self.request_log:
                if entry["operation"] != operation or (status is not None and entry["status"] != status):
                    continue
                total += 1
                body, ids = entry.get("body"), entry["params"].get("id")
                if isinstance(body, dict) and body.get("id"):
                    resources = [body["id"]]
                elif ids:
                    resources = [i for value in _as_values(ids) for i in value.split(",") if i]
                else:
                    resources = [entry["path"].rstrip("/").rsplit("/", 1)[-1]]
                for resource in resources:
                    counts[resource] = counts.get(resource, 0) + 1
        return {"operation": operation, "total": total, "byResource": counts}


def _as_values(value) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _as_list(value):
    if isinstance(value, dict):
        return [{"key": key, "project": project} for key, project in value.items()]
    return value


def _owner_of(raw: dict, kind: str) -> str:
    owner = raw.get("contentOwner")
    if not owner:
        raise ValueError(f"{kind} {raw.get('id')} needs contentOwner")
    return owner
