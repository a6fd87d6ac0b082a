"""YouTube Content ID API (youtubePartner v1): content owners, assets, policies, claims, claim search.

Paths and shapes follow the vendored discovery document (/work/shared/apis/youtubePartner.v1.json:
``youtube/partner/v1/...``). Error reasons come from the Content ID error reference
(developers.google.com/youtube/partner/reference/rest/v1/errors): contentOwnerNotProvided, alreadyClaimed,
videoNotOwned, invalidStatusTransition, claimIsClosed, takedownNotPermitted. That page gives no HTTP status
for some of them; the choices are noted where they are made.
"""

from __future__ import annotations

import copy

from .clock import rfc3339
from .errors import ApiError, google_error
from .resources import new_id
from .state import SCOPE_PREFIX, EmulatorState
from .wire import Caller, Request, Response, Route, page_of

PARTNER_SCOPE = SCOPE_PREFIX + "youtubepartner"
OWNER_READONLY_SCOPE = SCOPE_PREFIX + "youtubepartner-content-owner-readonly"
CONTENT_TYPES = ("audio", "video", "audiovisual")  # Claim.contentType [doc claims resource]
POLICY_ACTIONS = ("monetize", "track", "block")  # [doc support.google.com/youtube/answer/107383]
SEARCH_CONTENT_TYPES = {"AUDIO": "audio", "AUDIOVISUAL": "audiovisual", "VISUAL": "video"}  # claimSearch enum
BASE = r"/youtube/partner/v1"


def acting_owner(request: Request, caller: Caller) -> str:
    """onBehalfOfContentOwner is optional for a user of one owner and required for a user of several."""
    owner = request.param("onBehalfOfContentOwner")
    owners = caller.content_owners
    if owner:
        if owner not in owners:
            raise google_error(403, "forbidden", "The caller does not have permission", "youtube.partner.api")
        return owner
    if len(owners) == 1:
        return owners[0]
    if not owners:
        raise google_error(403, "forbidden", "The caller does not have permission", "youtube.partner.api")
    raise google_error(
        400,
        "contentOwnerNotProvided",
        "If you can manage multiple content owner accounts, you must use the onBehalfOfContentOwner parameter "
        "to identify the content owner on whose behalf you are acting.",
        "youtube.partner.api",
    )


def _not_found(what: str) -> ApiError:
    return google_error(404, "notFound", f"{what} not found.")


def _claim_error(status: int, reason: str, message: str, method: str) -> ApiError:
    return google_error(status, reason, message, f"youtubePartner.claims.{method}")


# ---------------------------------------------------------------------- content owners


def content_owners_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    ids = request.list_param("id")
    if request.bool_param("fetchMine"):
        owners = caller.content_owners
    elif ids:
        owners = [owner for owner in ids if owner in caller.content_owners]
    else:
        raise google_error(400, "required", "Either fetchMine or id must be specified.", location="fetchMine")
    items = [
        copy.deepcopy(state.content_owners.get(owner) or {"kind": "youtubePartner#contentOwner", "id": owner})
        for owner in owners
    ]
    return Response.json({"kind": "youtubePartner#contentOwnerList", "items": items})


def content_owners_get(
    state: EmulatorState, request: Request, caller: Caller, content_owner_id: str
) -> Response:
    if content_owner_id not in caller.content_owners:
        raise _not_found("Content owner")
    return Response.json(
        copy.deepcopy(
            state.content_owners.get(content_owner_id)
            or {"kind": "youtubePartner#contentOwner", "id": content_owner_id}
        )
    )


# ---------------------------------------------------------------------- assets and policies


def _render_asset(record: dict, request: Request) -> dict:
    asset = copy.deepcopy(record["resource"])
    for fetch, field in (
        ("fetchMetadata", "metadata"),
        ("fetchOwnership", "ownership"),
        ("fetchMatchPolicy", "matchPolicy"),
    ):
        value = request.param(fetch)
        if value in ("mine", "effective") and field in asset:
            asset[field + value.capitalize()] = copy.deepcopy(asset[field])
    return asset


def assets_get(state: EmulatorState, request: Request, caller: Caller, asset_id: str) -> Response:
    owner = acting_owner(request, caller)
    record = state.assets.get(asset_id)
    if record is None or record["owner"] != owner:
        raise _not_found("Asset")
    return Response.json(_render_asset(record, request))


def assets_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    owner = acting_owner(request, caller)
    ids = request.list_param("id")
    if not ids:
        raise google_error(400, "required", "Required parameter: id", location="id")
    items = [
        _render_asset(state.assets[asset_id], request)
        for asset_id in dict.fromkeys(ids)
        if asset_id in state.assets and state.assets[asset_id]["owner"] == owner
    ]
    return Response.json({"kind": "youtubePartner#assetList", "items": items})


def policies_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    owner = acting_owner(request, caller)
    ids = request.list_param("id")
    items = [
        copy.deepcopy(record["resource"])
        for policy_id, record in state.policies.items()
        if record["owner"] == owner and (ids is None or policy_id in ids)
    ]
    items.sort(key=lambda p: p.get("timeUpdated", ""), reverse=request.param("sort") == "TIME_UPDATED_DESC")
    return Response.json({"kind": "youtubePartner#policyList", "items": items})


def policies_get(state: EmulatorState, request: Request, caller: Caller, policy_id: str) -> Response:
    owner = acting_owner(request, caller)
    record = state.policies.get(policy_id)
    if record is None or record["owner"] != owner:
        raise _not_found("Policy")
    return Response.json(copy.deepcopy(record["resource"]))


# ---------------------------------------------------------------------- claims


def _resolve_policy(state: EmulatorState, owner: str, policy, method: str) -> tuple[dict, dict]:
    """Return (policy as stored on the claim, appliedPolicy)."""
    if not isinstance(policy, dict):
        raise google_error(
            400, "invalid", "The claim's policy is invalid.", location="policy", location_type="other"
        )
    if policy.get("id"):
        record = state.policies.get(policy["id"])
        if record is None or record["owner"] != owner:
            raise google_error(
                400,
                "invalid",
                f"Unknown policy id: {policy['id']}",
                location="policy.id",
                location_type="other",
            )
        return {"id": policy["id"]}, copy.deepcopy(record["resource"])
    rules = policy.get("rules")
    if not isinstance(rules, list) or not rules:
        raise google_error(
            400,
            "invalid",
            "The claim's policy needs an id or rules.",
            location="policy",
            location_type="other",
        )
    for rule in rules:
        action = rule.get("action") if isinstance(rule, dict) else None
        if action == "takedown":
            raise _claim_error(
                400, "takedownNotPermitted", "A takedown policy cannot be set on a claim.", method
            )
        if action not in POLICY_ACTIONS:
            raise google_error(
                400,
                "invalid",
                f"Invalid policy action: {action!r}",
                location="policy.rules.action",
                location_type="other",
            )
    stored = {"kind": "youtubePartner#policy", "rules": copy.deepcopy(rules)}
    return stored, copy.deepcopy(stored)


def claims_insert(state: EmulatorState, request: Request, caller: Caller) -> Response:
    owner = acting_owner(request, caller)
    body = request.json()
    if not isinstance(body, dict):
        raise google_error(400, "parseError", "Parse Error")
    for field in ("assetId", "videoId", "contentType", "policy"):
        if not body.get(field):
            raise google_error(
                400, "required", f"Required field: {field}", location=field, location_type="other"
            )
    if body["contentType"] not in CONTENT_TYPES:
        raise google_error(
            400,
            "invalid",
            f"Invalid value for contentType: {body['contentType']!r}",
            location="contentType",
            location_type="other",
        )
    asset = state.assets.get(body["assetId"])
    if asset is None or asset["owner"] != owner:
        raise _not_found("Asset")
    video = state.videos.get(body["videoId"])
    if video is None:
        raise _not_found("Video")
    manual = bool(request.bool_param("isManualClaim"))
    channel = state.channels.get(video["snippet"]["channelId"]) or {}
    if not manual and channel.get("contentOwnerDetails", {}).get("contentOwner") != owner:
        # "The video being claimed must have been uploaded to a channel associated with the same content
        # owner" [disc claims.insert]. Status not documented: 403, like the Data API's ownership errors.
        raise _claim_error(403, "videoNotOwned", "The video is not owned by the content owner.", "insert")
    for record in state.claims.values():
        existing = record["resource"]
        if (
            record["owner"] == owner
            and existing["assetId"] == body["assetId"]
            and existing["videoId"] == body["videoId"]
            and existing["status"] == "active"
        ):
            # Status not documented; 409 as for the API's other "already exists" errors (assetLabelExists).
            raise _claim_error(
                409,
                "alreadyClaimed",
                f"The video is already claimed by this asset (claim {existing['id']}).",
                "insert",
            )
    policy, applied = _resolve_policy(state, owner, body["policy"], "insert")
    now = rfc3339(state.clock.now())
    claim = {
        "kind": "youtubePartner#claim",
        "id": new_id(11),
        "assetId": body["assetId"],
        "videoId": body["videoId"],
        "status": "active",
        "contentType": body["contentType"],
        "policy": policy,
        "appliedPolicy": applied,
        "timeCreated": now,
        "timeStatusLastModified": now,
        "isPartnerUploaded": not manual,
        "blockOutsideOwnership": bool(body.get("blockOutsideOwnership", False)),
    }
    state.claims[claim["id"]] = {"owner": owner, "resource": claim}
    return Response.json(copy.deepcopy(claim))


def _owned_claim(state: EmulatorState, owner: str, claim_id: str) -> dict:
    record = state.claims.get(claim_id)
    if record is None or record["owner"] != owner:
        raise _not_found("Claim")
    return record


def claims_get(state: EmulatorState, request: Request, caller: Caller, claim_id: str) -> Response:
    owner = acting_owner(request, caller)
    return Response.json(copy.deepcopy(_owned_claim(state, owner, claim_id)["resource"]))


def claims_patch(state: EmulatorState, request: Request, caller: Caller, claim_id: str) -> Response:
    """Change the policy, or release the claim (status active → inactive). Other fields are read-only."""
    owner = acting_owner(request, caller)
    record = _owned_claim(state, owner, claim_id)
    body = request.json()
    if not isinstance(body, dict):
        raise google_error(400, "parseError", "Parse Error")
    claim = copy.deepcopy(record["resource"])
    was_active = claim["status"] == "active"
    if "policy" in body and body["policy"] is not None:
        if not was_active:
            raise _claim_error(400, "claimIsClosed", "The claim is inactive and cannot be updated.", "update")
        claim["policy"], claim["appliedPolicy"] = _resolve_policy(state, owner, body["policy"], "update")
    new_status = body.get("status")
    if new_status is not None and new_status != claim["status"]:
        # "you can update its status from active to inactive ... the API does not support other updates to a
        # claim's status" [disc Claim.status].
        if not (was_active and new_status == "inactive"):
            raise _claim_error(
                400,
                "invalidStatusTransition",
                f"The claim's status cannot change from {claim['status']} to {new_status}.",
                "update",
            )
        claim["status"] = "inactive"
        claim["timeStatusLastModified"] = rfc3339(state.clock.now())
    record["resource"] = claim
    return Response.json(copy.deepcopy(claim))


def claim_studio_set_policy(state: EmulatorState, claim_id: str, policy) -> dict:
    """A rights manager changes a claim's policy in Studio Content Manager, not through the API.

    "You can manually override the policy associated with a claim" [doc
    support.google.com/youtube/answer/3369929], with a saved policy or the claim's own rules ("a
    policy is made up of one or more if-then rules" [doc support.google.com/youtube/answer/107383]).
    The claim changes exactly as a claims.patch of its policy would change it (same checks, same
    stored form), but no request is logged and no quota is spent: Studio is not an API client.
    """
    with state.lock:
        record = state.claims.get(claim_id)
        if record is None:
            raise KeyError(f"no claim {claim_id}")
        claim = copy.deepcopy(record["resource"])
        if claim["status"] != "active":
            raise _claim_error(400, "claimIsClosed", "The claim is inactive and cannot be updated.", "update")
        claim["policy"], claim["appliedPolicy"] = _resolve_policy(state, record["owner"], policy, "update")
        record["resource"] = claim
        return copy.deepcopy(claim)


def claims_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    owner = acting_owner(request, caller)
    ids, video_ids = request.list_param("id"), request.list_param("videoId")
    asset_id, query = request.param("assetId"), (request.param("q") or "").lower()
    matches = [
        record["resource"]
        for record in state.claims.values()
        if record["owner"] == owner
        and (ids is None or record["resource"]["id"] in ids)
        and (video_ids is None or record["resource"]["videoId"] in video_ids)
        and (asset_id is None or record["resource"]["assetId"] == asset_id)
        and (not query or query in _video_title(state, record["resource"]["videoId"]).lower())
    ]
    matches.sort(key=lambda c: c["timeCreated"], reverse=True)
    size = int(state.settings["contentIdPageSize"])
    page, next_token, _ = page_of(matches, request, size=size)
    body = {
        "kind": "youtubePartner#claimList",
        "pageInfo": {
            "totalResults": len(matches),
            "resultsPerPage": size,
            "startIndex": matches.index(page[0]) if page else 0,
        },
        "items": copy.deepcopy(page),
    }
    if next_token:
        body["nextPageToken"] = next_token
    return Response.json(body)


def _video_title(state: EmulatorState, video_id: str) -> str:
    return (state.videos.get(video_id) or {}).get("snippet", {}).get("title", "")


def claim_search_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    owner = acting_owner(request, caller)
    video_ids, asset_id = request.list_param("videoId"), request.param("assetId")
    query = request.param("q")
    if video_ids is None and asset_id is None and query is None and request.param("referenceId") is None:
        raise google_error(
            400, "required", "One of assetId, q, referenceId or videoId is required.", location="videoId"
        )
    status = (request.param("status") or "").lower() or None
    content_type = SEARCH_CONTENT_TYPES.get(request.param("contentType") or "")
    third_party = bool(request.bool_param("includeThirdPartyClaims")) and video_ids is not None
    items = []
    for record in state.claims.values():
        claim = record["resource"]
        own = record["owner"] == owner
        if not own and not third_party:
            continue
        if video_ids is not None and claim["videoId"] not in video_ids:
            continue
        if asset_id is not None and (claim["assetId"] != asset_id or not own):
            continue
        if query is not None and query.lower() not in _video_title(state, claim["videoId"]).lower():
            continue
        if status and claim["status"] != status:
            continue
        if content_type and claim["contentType"] != content_type:
            continue
        video = state.videos.get(claim["videoId"]) or {}
        items.append(
            {
                "kind": "youtubePartner#claimSnippet",
                "id": claim["id"],
                "assetId": claim["assetId"] if own else None,
                "videoId": claim["videoId"],
                "status": claim["status"],
                "contentType": claim["contentType"],
                "isPartnerUploaded": claim.get("isPartnerUploaded", False),
                "thirdPartyClaim": not own,
                "timeCreated": claim["timeCreated"],
                "timeStatusLastModified": claim.get("timeStatusLastModified", claim["timeCreated"]),
                "videoTitle": video.get("snippet", {}).get("title", ""),
                "videoViews": video.get("statistics", {}).get("viewCount", "0"),
            }
        )
        if items[-1]["assetId"] is None:
            del items[-1]["assetId"]
    if request.param("sort") == "VIEW_COUNT":
        items.sort(key=lambda s: -int(s["videoViews"]))
    else:
        items.sort(key=lambda s: s["timeCreated"], reverse=True)  # "reverse chronological order" [disc]
    size = int(state.settings["contentIdPageSize"])
    page, next_token, prev_token = page_of(items, request, size=size)
    body = {
        "kind": "youtubePartner#claimSnippetList",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
        "items": page,
    }
    if next_token:
        body["nextPageToken"] = next_token
    if prev_token:
        body["previousPageToken"] = prev_token
    return Response.json(body)


_P = (PARTNER_SCOPE,)
ROUTES = [
    Route(
        "GET",
        BASE + r"/contentOwners",
        "youtubePartner.contentOwners.list",
        "youtubePartner",
        content_owners_list,
        1,
        (PARTNER_SCOPE, OWNER_READONLY_SCOPE),
    ),
    Route(
        "GET",
        BASE + r"/contentOwners/(?P<content_owner_id>[^/]+)",
        "youtubePartner.contentOwners.get",
        "youtubePartner",
        content_owners_get,
        1,
        (PARTNER_SCOPE, OWNER_READONLY_SCOPE),
    ),
    Route("GET", BASE + r"/assets", "youtubePartner.assets.list", "youtubePartner", assets_list, 1, _P),
    Route(
        "GET",
        BASE + r"/assets/(?P<asset_id>[^/]+)",
        "youtubePartner.assets.get",
        "youtubePartner",
        assets_get,
        1,
        _P,
    ),
    Route("GET", BASE + r"/policies", "youtubePartner.policies.list", "youtubePartner", policies_list, 1, _P),
    Route(
        "GET",
        BASE + r"/policies/(?P<policy_id>[^/]+)",
        "youtubePartner.policies.get",
        "youtubePartner",
        policies_get,
        1,
        _P,
    ),
    Route("POST", BASE + r"/claims", "youtubePartner.claims.insert", "youtubePartner", claims_insert, 1, _P),
    Route("GET", BASE + r"/claims", "youtubePartner.claims.list", "youtubePartner", claims_list, 1, _P),
    Route(
        "GET",
        BASE + r"/claims/(?P<claim_id>[^/]+)",
        "youtubePartner.claims.get",
        "youtubePartner",
        claims_get,
        1,
        _P,
    ),
    Route(
        "PATCH",
        BASE + r"/claims/(?P<claim_id>[^/]+)",
        "youtubePartner.claims.patch",
        "youtubePartner",
        claims_patch,
        1,
        _P,
    ),
    Route(
        "PUT",
        BASE + r"/claims/(?P<claim_id>[^/]+)",
        "youtubePartner.claims.update",
        "youtubePartner",
        claims_patch,
        1,
        _P,
    ),
    Route(
        "GET",
        BASE + r"/claimSearch",
        "youtubePartner.claimSearch.list",
        "youtubePartner",
        claim_search_list,
        1,
        _P,
    ),
]
