"""YouTube Reporting API v1: jobs, reports and the media download of report CSVs.

Paths from the bundled discovery document youtubereporting.v1.json (root ``https://youtubereporting.googleapis.com/``,
paths ``v1/jobs``, ``v1/jobs/{jobId}/reports``, ``v1/media/{+resourceName}``). A One Platform API: empty lists
are left out of answers (``{}`` when there are no jobs) and errors carry no ``errors`` list.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import re
from datetime import UTC, datetime, time, timedelta

from .clock import parse_rfc3339, rfc3339
from .errors import ApiError, oneplatform_error
from .resources import new_id
from .state import SCOPE_PREFIX, EmulatorState
from .wire import Caller, Request, Response, Route, page_of

SCOPES = (SCOPE_PREFIX + "yt-analytics.readonly", SCOPE_PREFIX + "yt-analytics-monetary.readonly")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _invalid_page_token() -> ApiError:
    return oneplatform_error(400, "Request contains an invalid argument.")


def _not_found() -> ApiError:
    return oneplatform_error(404, "Requested entity was not found.")


def _visible_jobs(state: EmulatorState, request: Request, caller: Caller):
    """Jobs of the content owner named by onBehalfOfContentOwner, or of the caller's own channels."""
    owner = request.param("onBehalfOfContentOwner")
    if owner:
        if owner not in caller.content_owners:
            raise oneplatform_error(403, "The caller does not have permission")
        state.system_report_jobs(owner)
        return {job_id: r for job_id, r in state.report_jobs.items() if r["contentOwner"] == owner}
    return {
        job_id: r
        for job_id, r in state.report_jobs.items()
        if r["channel"] and r["channel"] in caller.channels
    }


def _page_size(request: Request, default: int) -> int:
    value = request.param("pageSize")
    if value is None:
        return default
    if not value.isdigit():
        raise oneplatform_error(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{value}\"")
    return int(value) or default


def jobs_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    include_system = bool(request.bool_param("includeSystemManaged"))
    jobs = [
        copy.deepcopy(record["resource"])
        for record in _visible_jobs(state, request, caller).values()
        if include_system or not record["resource"].get("systemManaged")
    ]
    jobs.sort(key=lambda j: (j["createTime"], j["id"]))
    page, next_token, _ = page_of(jobs, request, size=_page_size(request, 100), invalid=_invalid_page_token())
    body = {}
    if page:
        body["jobs"] = page
    if next_token:
        body["nextPageToken"] = next_token
    return Response.json(body)


def jobs_get(state: EmulatorState, request: Request, caller: Caller, job_id: str) -> Response:
    record = _visible_jobs(state, request, caller).get(job_id)
    if record is None:
        raise _not_found()
    return Response.json(copy.deepcopy(record["resource"]))


def jobs_create(state: EmulatorState, request: Request, caller: Caller) -> Response:
    body = request.json()
    if not isinstance(body, dict) or not body.get("reportTypeId"):
        raise oneplatform_error(400, "Request contains an invalid argument.")
    if any(
        r["resource"]["reportTypeId"] == body["reportTypeId"] and r["resource"].get("systemManaged")
        for r in state.report_jobs.values()
    ):
        # System-managed reports exist already; jobs.create refuses them (docs/youtube.md#report-files).
        raise oneplatform_error(400, "Request contains an invalid argument.")
    owner = request.param("onBehalfOfContentOwner")
    if owner and owner not in caller.content_owners:
        raise oneplatform_error(403, "The caller does not have permission")
    if not owner and not caller.channels:
        raise oneplatform_error(403, "The caller does not have permission")
    record = state.add_report_job(
        {
            "id": new_id(36).replace("_", "-"),
            "reportTypeId": body["reportTypeId"],
            "name": body.get("name", body["reportTypeId"]),
            "contentOwner": owner,
            "channel": None if owner else caller.channels[0],
            "systemManaged": False,
        }
    )
    return Response.json(copy.deepcopy(record["resource"]))


def _resource_name(job_record: dict, report: dict) -> str:
    if job_record["contentOwner"]:
        prefix = f"CONTENT_OWNER/{job_record['contentOwner']}"
    else:
        prefix = f"CHANNEL/{job_record['channel']}"
    return f"{prefix}/jobs/{report['jobId']}/reports/{report['id']}"


def _render_report(request: Request, job_record: dict, report: dict) -> dict:
    out = copy.deepcopy(report)
    out["downloadUrl"] = f"{request.base_url}/v1/media/{_resource_name(job_record, report)}?alt=media"
    if job_record["resource"].get("expireTime"):
        out["jobExpireTime"] = job_record["resource"]["expireTime"]
    return out


def _time_filter(request: Request, name: str):
    value = request.param(name)
    if value is None:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise oneplatform_error(
            400, f"Invalid value at '{name}' (type.googleapis.com/google.protobuf.Timestamp)"
        ) from None


def reports_list(state: EmulatorState, request: Request, caller: Caller, job_id: str) -> Response:
    job_record = _visible_jobs(state, request, caller).get(job_id)
    if job_record is None:
        raise _not_found()
    created_after = _time_filter(request, "createdAfter")
    start_at_or_after = _time_filter(request, "startTimeAtOrAfter")
    start_before = _time_filter(request, "startTimeBefore")
    reports = []
    for record in state.reports.values():
        report = record["resource"]
        if report["jobId"] != job_id:
            continue
        if created_after and parse_rfc3339(report["createTime"]) <= created_after:
            continue
        if start_at_or_after and parse_rfc3339(report["startTime"]) < start_at_or_after:
            continue
        if start_before and parse_rfc3339(report["startTime"]) >= start_before:
            continue
        reports.append(report)
    reports.sort(key=lambda r: (r["createTime"], r["id"]), reverse=True)  # newest first
    page, next_token, _ = page_of(
        reports, request, size=_page_size(request, 100), invalid=_invalid_page_token()
    )
    body = {}
    if page:
        body["reports"] = [_render_report(request, job_record, r) for r in page]
    if next_token:
        body["nextPageToken"] = next_token
    return Response.json(body)


def reports_get(
    state: EmulatorState, request: Request, caller: Caller, job_id: str, report_id: str
) -> Response:
    job_record = _visible_jobs(state, request, caller).get(job_id)
    record = state.reports.get(report_id)
    if job_record is None or record is None or record["resource"]["jobId"] != job_id:
        raise _not_found()
    return Response.json(_render_report(request, job_record, record["resource"]))


def report_types_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    include_system = bool(request.bool_param("includeSystemManaged"))
    types = {}
    for record in _visible_jobs(state, request, caller).values():
        job = record["resource"]
        if include_system or not job.get("systemManaged"):
            entry = {"id": job["reportTypeId"], "name": job["reportTypeId"]}
            if job.get("systemManaged"):
                entry["systemManaged"] = True
            types[job["reportTypeId"]] = entry
    body = {"reportTypes": sorted(types.values(), key=lambda t: t["id"])} if types else {}
    return Response.json(body)


def media_download(state: EmulatorState, request: Request, caller: Caller, resource_name: str) -> Response:
    """GET /v1/media/{resourceName}?alt=media: the report's bytes, honouring Range and gzip."""
    match = re.search(r"jobs/([^/]+)/reports/([^/]+)$", resource_name)
    if match is None:
        raise _not_found()
    job_id, report_id = match.groups()
    job_record = state.report_jobs.get(job_id)
    record = state.reports.get(report_id)
    if job_record is None or record is None or record["resource"]["jobId"] != job_id:
        raise _not_found()
    allowed = (job_record["contentOwner"] in caller.content_owners) or (
        job_record["channel"] is not None and job_record["channel"] in caller.channels
    )
    if not allowed:
        raise oneplatform_error(403, "The caller does not have permission")
    return serve_bytes(request, record["body"], "text/csv")


def serve_bytes(request: Request, body: bytes, content_type: str) -> Response:
    """Serve a download: a valid single Range gets 206, otherwise 200 (gzip if the client accepts it).

    An unparsable Range is ignored, as RFC 9110 §14.2 allows; MediaIoBaseDownload(chunksize=-1), Google's
    own sample, sends ``bytes=0--2``.
    """
    size = len(body)
    headers = {"Content-Type": content_type, "Accept-Ranges": "bytes"}
    range_header = request.header("range")
    match = _RANGE.match(range_header.strip()) if range_header else None
    if match:
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else size - 1
        if end >= start:
            if start >= size:
                return Response(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
            end = min(end, size - 1)
            return Response(
                206, body[start : end + 1], {**headers, "Content-Range": f"bytes {start}-{end}/{size}"}
            )
    if "gzip" in (request.header("accept-encoding") or "") and size:
        return Response(200, gzip.compress(body), {**headers, "Content-Encoding": "gzip"})
    return Response(200, body, headers)


# ---------------------------------------------------------------------- publishing (control endpoint)

# The "Daily video metadata" columns the emulator fills from its catalogue (a subset of the a4 field
# list in docs/youtube.md#report-files; the rest are YouTube's business, not the catalogue's).
A4_CATALOGUE_COLUMNS = (
    "video_id",
    "channel_id",
    "claim_id",
    "asset_id",
    "custom_id",
    "category",
    "channel_display_name",
    "claim_origin",
    "claimed_by_this_owner",
    "comments",
    "content_type",
    "effective_policy",
    "embedding_allowed",
    "is_made_for_kids_effective_setting",
    "is_made_for_kids_user_selection",
    "isrc",
    "other_owners_claiming",
    "time_published",
    "time_uploaded",
    "video_length",
    "video_privacy_status",
    "video_title",
    "video_url",
    "views",
)
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
# Content ID contentType -> the a4 report's spelling ("Visual" for the video-only portion, as in
# the a4 files of shared/samples).
_REPORT_CONTENT_TYPES = {"audio": "Audio", "video": "Visual", "audiovisual": "Audiovisual"}
# Multi-valued cells are pipe-separated (docs/youtube.md#report-files).
LIST_SEPARATOR = "|"


def _seconds(duration: str | None) -> str:
    match = _DURATION.match(duration or "")
    if not match:
        return ""
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return str(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def _report_time(value: str | None) -> str:
    """RFC 3339 → the reports' ``YYYY/MM/DD HH:MM:SS`` (UTC)."""
    if not value:
        return ""
    return parse_rfc3339(value).astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S")


def _bool(value) -> str:
    return "" if value is None else ("True" if value else "False")


def rules_label(rules: list[dict]) -> str:
    """A policy's rules in the reports' words: 'Monetize in all countries', 'Monetize in US; Track elsewhere'."""
    parts = []
    for rule in rules:
        action = str(rule.get("action") or "").capitalize()
        if not action:
            continue
        territories = ((rule.get("conditions") or {}).get("requiredTerritories")) or {}
        if territories.get("type") == "include" and territories.get("territories"):
            parts.append(f"{action} in {', '.join(territories['territories'])}")
        elif territories.get("type") == "exclude" and territories.get("territories"):
            parts.append(f"{action} elsewhere")
        else:
            parts.append(f"{action} in all countries")
    return "; ".join(parts)


def claim_policy_label(state: EmulatorState, claim: dict) -> str:
    """What a report's effective_policy says for one claim: its saved policy's name, or its own rules.

    Reports name policies as rights managers see them in Studio (the a4 samples say "Monetize in all
    countries", "Monetize in US; Track elsewhere"), never by an action alone and never by an id.
    """
    policy = claim.get("policy") or {}
    saved = state.policies.get(policy.get("id")) if policy.get("id") else None
    if saved is not None:
        resource = saved["resource"]
        return resource.get("name") or rules_label(resource.get("rules") or [])
    return rules_label(policy.get("rules") or [])


def _claim_origin(claim: dict) -> str:
    source = (claim.get("origin") or {}).get("source")
    if source:
        return source
    return "Partner uploaded" if claim.get("isPartnerUploaded") else ""


def catalogue_csv(state: EmulatorState, owner_id: str) -> bytes:
    """A "Daily video metadata" (a4) CSV of the owner's videos as the emulator holds them now.

    One row per (video, claim) as the report's primary key says, and one row without a claim for a
    video the owner has not claimed. Each row's effective_policy is its claim's policy; every row of a
    video names the other owners whose active claims it carries (other_owners_claiming), so a video
    only others claim reads as "claimed by other owners", not as unclaimed.
    """
    with state.lock:
        channels = {
            channel_id: channel
            for channel_id, channel in state.channels.items()
            if channel.get("contentOwnerDetails", {}).get("contentOwner") == owner_id
        }
        claims_by_video: dict[str, list[dict]] = {}
        other_owners_by_video: dict[str, set[str]] = {}
        for record in state.claims.values():
            resource = record["resource"]
            if resource.get("status", "active") != "active":
                continue
            if record["owner"] == owner_id:
                claims_by_video.setdefault(resource["videoId"], []).append(resource)
            else:
                other = state.content_owners.get(record["owner"]) or {}
                other_owners_by_video.setdefault(resource["videoId"], set()).add(
                    other.get("displayName") or record["owner"]
                )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(A4_CATALOGUE_COLUMNS)
        for video_id in sorted(state.videos):
            video = state.videos[video_id]
            snippet, status = video.get("snippet", {}), video.get("status", {})
            channel = channels.get(snippet.get("channelId"))
            if channel is None:
                continue
            claims = sorted(claims_by_video.get(video_id) or [], key=lambda claim: claim["id"]) or [None]
            other_owners = LIST_SEPARATOR.join(sorted(other_owners_by_video.get(video_id, ())))
            for claim in claims:
                asset = (state.assets.get(claim["assetId"]) or {}).get("resource", {}) if claim else {}
                metadata = asset.get("metadata") or {}
                writer.writerow(
                    [
                        video_id,
                        channel["id"],
                        claim["id"] if claim else "",
                        claim["assetId"] if claim else "",
                        metadata.get("customId", ""),
                        snippet.get("categoryId", ""),
                        channel.get("snippet", {}).get("title", ""),
                        _claim_origin(claim) if claim else "",
                        _bool(bool(claim)),
                        video.get("statistics", {}).get("commentCount", ""),
                        _REPORT_CONTENT_TYPES.get(claim.get("contentType", ""), "") if claim else "",
                        claim_policy_label(state, claim) if claim else "",
                        _bool(status.get("embeddable")),
                        _bool(status.get("madeForKids")),
                        _bool(status.get("selfDeclaredMadeForKids")),
                        metadata.get("isrc", ""),
                        other_owners,
                        _report_time(snippet.get("publishedAt")),
                        _report_time(snippet.get("publishedAt")),
                        _seconds(video.get("contentDetails", {}).get("duration")),
                        status.get("privacyStatus", ""),
                        snippet.get("title", ""),
                        f"https://www.youtube.com/watch?v={video_id}",
                        video.get("statistics", {}).get("viewCount", ""),
                    ]
                )
        return out.getvalue().encode("utf-8")


def publish_report(state: EmulatorState, spec: dict) -> dict:
    """Make YouTube generate a report now (``POST /_emulator/reporting/reports``).

    ``{"contentOwner": "owner-a", "reportTypeId": "content_owner_video_metadata_a4", "id": "…",
    "startTime": "…", "createTime": "…", "csv" | "csvBase64" | "csvPath": …}``: without CSV content the
    report holds the owner's catalogue (``catalogue_csv``). The job is the owner's system-managed job of
    that type (``jobId`` picks another). createTime defaults to now, and always lands after the job's
    newest report, so reports published in one test are ordered.
    """
    with state.lock:
        owner_id = spec.get("contentOwner")
        job_id = spec.get("jobId")
        if job_id is None:
            if owner_id not in state.content_owners:
                raise ValueError(f"unknown content owner {owner_id!r}")
            type_id = spec.get("reportTypeId", "content_owner_video_metadata_a4")
            jobs = [r for r in state.system_report_jobs(owner_id) if r["resource"]["reportTypeId"] == type_id]
            if not jobs:
                raise ValueError(f"content owner {owner_id!r} has no system-managed job for {type_id!r}")
            job_id = jobs[0]["resource"]["id"]
        job = state.report_jobs.get(job_id)
        if job is None:
            raise ValueError(f"unknown report job {job_id!r}")
        raw = {
            key: spec[key] for key in ("csv", "csvBase64", "csvPath", "startTime", "endTime") if key in spec
        }
        from_catalogue = not {"csv", "csvBase64", "csvPath"} & raw.keys()
        now = state.clock.now()
        # Reports carry milliseconds: compare at that precision.
        created = parse_rfc3339(spec["createTime"]) if spec.get("createTime") else now
        created = created.replace(microsecond=created.microsecond // 1000 * 1000)
        newest = max(
            (
                parse_rfc3339(r["resource"]["createTime"])
                for r in state.reports.values()
                if r["resource"]["jobId"] == job_id
            ),
            default=None,
        )
        if not spec.get("createTime") and newest is not None and created <= newest:
            created = newest + timedelta(milliseconds=1)
        if "startTime" not in raw:
            # A daily report covers the previous (UTC) day.
            day = datetime.combine(created.astimezone(UTC).date() - timedelta(days=1), time(0), tzinfo=UTC)
            raw["startTime"] = rfc3339(day, millis=False)
        raw.update(id=spec.get("id") or new_id(10, "rpt"), jobId=job_id, createTime=rfc3339(created))
        record = state.add_report(raw)
        if from_catalogue:
            record["body"] = catalogue_csv(state, job["contentOwner"] or owner_id)
        return dict(copy.deepcopy(record["resource"]), size=len(record["body"]))


BASE = r"/v1"
_S = SCOPES
ROUTES = [
    Route("GET", BASE + r"/jobs", "youtubereporting.jobs.list", "youtubereporting", jobs_list, 1, _S),
    Route("POST", BASE + r"/jobs", "youtubereporting.jobs.create", "youtubereporting", jobs_create, 1, _S),
    Route(
        "GET",
        BASE + r"/jobs/(?P<job_id>[^/]+)",
        "youtubereporting.jobs.get",
        "youtubereporting",
        jobs_get,
        1,
        _S,
    ),
    Route(
        "GET",
        BASE + r"/jobs/(?P<job_id>[^/]+)/reports",
        "youtubereporting.jobs.reports.list",
        "youtubereporting",
        reports_list,
        1,
        _S,
    ),
    Route(
        "GET",
        BASE + r"/jobs/(?P<job_id>[^/]+)/reports/(?P<report_id>[^/]+)",
        "youtubereporting.jobs.reports.get",
        "youtubereporting",
        reports_get,
        1,
        _S,
    ),
    Route(
        "GET",
        BASE + r"/reportTypes",
        "youtubereporting.reportTypes.list",
        "youtubereporting",
        report_types_list,
        1,
        _S,
    ),
    Route(
        "GET",
        BASE + r"/media/(?P<resource_name>.+)",
        "youtubereporting.media.download",
        "youtubereporting",
        media_download,
        1,
        _S,
    ),
]
