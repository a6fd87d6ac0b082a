"""The YouTube Reporting API through the gateway: jobs, reports, and the streamed report download.

Listing uses the bundled youtubereporting v1 discovery document (session.reporting) and
YouTubeSession.execute like every other call, so quota (the Reporting API's own ledger row),
retries, token refresh, typed errors and the ApiCall record are the same. googleapiclient reads a
media download whole into memory, so the download is a discovery-built request
(``media.download``, its URI set to the report's ``downloadUrl`` as Google's sample does) executed
by ``StreamedDownload``: the bytes go from the socket to a file in 1 MiB chunks, gzip-encoded when
Google agrees (``Accept-Encoding: gzip``), and are kept compressed (the importer reads .csv.gz).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import httplib2
import urllib3
from django.conf import settings
from googleapiclient.errors import HttpError

from syncs.youtube import clients
from syncs.youtube.errors import PermanentError
from syncs.youtube.gateway import YouTubeSession

# "Daily video metadata" in every version (a2, a3, a4): the reports that carry the inventory.
VIDEO_METADATA_PREFIX = "content_owner_video_metadata_"
DOWNLOAD_CHUNK_BYTES = 1 << 20
# An error body is short JSON; never read more of it than this.
ERROR_BODY_MAX_BYTES = 64 * 1024
DOWNLOAD_TIMEOUT = urllib3.Timeout(connect=15.0, read=120.0)
MAX_REDIRECTS = 5
GZIP_MAGIC = b"\x1f\x8b"
# How Google says a resource does not exist: One Platform APIs (the Reporting API) put the status name
# NOT_FOUND where the reason goes, the older front end the reason notFound [doc core_errors].
NOT_FOUND_REASONS = frozenset({"NOT_FOUND", "notFound"})

_pool = urllib3.PoolManager(retries=False)


def parse_api_time(value: str | None) -> datetime | None:
    """The API's RFC 3339 timestamps ("2026-11-25T08:00:00Z", with or without a fraction)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_api_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def reporting_jobs(session: YouTubeSession) -> list[dict]:
    """Every reporting job of the session's owner, the system-managed ones included."""
    jobs, page_token = [], None
    while True:
        answer = session.execute(
            session.reporting.jobs().list(
                includeSystemManaged=True, pageToken=page_token, **session.owner_params()
            )
        )
        jobs.extend(answer.get("jobs", []))  # One Platform leaves empty lists out
        page_token = answer.get("nextPageToken")
        if not page_token:
            return jobs


def reporting_reports(
    session: YouTubeSession, *, job_id: str, created_after: datetime | None = None
) -> list[dict]:
    """The job's reports created after `created_after` (all when None), newest first.

    The order is ours, by createTime: the API documents none.
    """
    reports, page_token = [], None
    filters = {"createdAfter": format_api_time(created_after)} if created_after else {}
    while True:
        answer = session.execute(
            session.reporting.jobs()
            .reports()
            .list(jobId=job_id, pageToken=page_token, **filters, **session.owner_params())
        )
        reports.extend(answer.get("reports", []))
        page_token = answer.get("nextPageToken")
        if not page_token:
            break
    return sorted(
        reports,
        key=lambda r: (parse_api_time(r.get("createTime")) or datetime.min.replace(tzinfo=UTC), r["id"]),
        reverse=True,
    )


class ReportGone(PermanentError):
    """The report's file is no longer at YouTube (reports are kept 30–60 days): no retry will fetch it."""


@dataclass
class Download:
    bytes: int
    gzip: bool


class StreamedDownload:
    """A discovery-built media request that YouTubeSession.execute can run, streaming to a file.

    execute() behaves like googleapiclient's: HttpError for an error answer, OSError when the
    connection fails (both retried by the gateway); each attempt starts the file over.
    """

    def __init__(self, request, *, destination: BinaryIO, on_chunk: Callable[[int], None] | None = None):
        self._request = request
        self.methodId = request.methodId
        self.uri = request.uri
        self.destination = destination
        self.on_chunk = on_chunk
        self.result: Download | None = None

    def execute(self, num_retries: int = 0) -> dict:
        credentials = getattr(self._request.http, "credentials", None)
        headers = {
            name: value
            for name, value in self._request.headers.items()
            if name.lower() not in ("accept-encoding", "authorization")
        }
        # Reports are CSV; gzip makes them several times smaller on the wire [doc jobs.reports].
        headers["accept-encoding"] = "gzip"
        if credentials is not None:
            # Refreshes an expired token first, as google-auth's httplib2 wrapper does.
            credentials.before_request(clients.token_request(), "GET", self.uri, headers)
        self.destination.seek(0)
        self.destination.truncate()
        response = self._get(self.uri, headers)
        try:
            if response.status >= 300:
                content = response.read(ERROR_BODY_MAX_BYTES, decode_content=True)
                info = {name.lower(): value for name, value in response.headers.items()}
                info["status"] = str(response.status)
                raise HttpError(httplib2.Response(info), content, uri=self.uri)
            size = 0
            try:
                for chunk in response.stream(DOWNLOAD_CHUNK_BYTES, decode_content=False):
                    self.destination.write(chunk)
                    size += len(chunk)
                    if self.on_chunk is not None:
                        self.on_chunk(size)
            except urllib3.exceptions.HTTPError as error:
                raise ConnectionError(f"report download interrupted: {type(error).__name__}") from None
            self.destination.flush()
            encoding = (response.headers.get("content-encoding") or "").lower()
            self.result = Download(bytes=size, gzip=encoding == "gzip" or self._starts_gzip())
            return {"bytes": size, "gzip": self.result.gzip}
        finally:
            response.release_conn()

    def _get(self, url: str, headers: dict):
        """GET without reading the body; redirects followed, the token only to the same host."""
        origin = urlsplit(url).netloc
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = _pool.request(
                    "GET",
                    url,
                    headers=headers,
                    preload_content=False,
                    decode_content=False,
                    redirect=False,
                    timeout=DOWNLOAD_TIMEOUT,
                )
            except urllib3.exceptions.HTTPError as error:
                raise ConnectionError(f"report download: {type(error).__name__}") from None
            location = response.headers.get("location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                return response
            response.drain_conn()
            response.release_conn()
            url = urljoin(url, location)
            if urlsplit(url).scheme not in ("https", urlsplit(self.uri).scheme):
                break
            if urlsplit(url).netloc != origin:
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        raise ConnectionError("report download: too many or insecure redirects")

    def _starts_gzip(self) -> bool:
        """A gzip file served as such (Content-Type application/gzip) rather than gzip-encoded."""
        self.destination.flush()
        with open(self.destination.name, "rb") as handle:
            return handle.read(2) == GZIP_MAGIC


def reporting_download(
    session: YouTubeSession,
    *,
    report: dict,
    destination: BinaryIO,
    on_chunk: Callable[[int], None] | None = None,
) -> Download:
    """Stream one report's file into `destination` (a binary file opened for writing)."""
    url = report.get("downloadUrl") or ""
    expected = urlsplit(settings.YOUTUBE_REPORTING_API_ENDPOINT)
    found = urlsplit(url)
    # The bearer token goes with the request: only ever to the Reporting API's own host.
    if (found.scheme, found.netloc) != (expected.scheme, expected.netloc):
        raise PermanentError(
            f"Report {report.get('id')}: its downloadUrl {url!r} is not on the Reporting API's host "
            f"{expected.scheme}://{expected.netloc}; not downloaded.",
            method="youtubereporting.media.download",
            owner_id=session.owner_id,
            reason="unexpectedDownloadUrl",
        )
    request = session.reporting.media().download_media(resourceName="")
    request.uri = url  # as Google's sample does with report["downloadUrl"]
    download = StreamedDownload(request, destination=destination, on_chunk=on_chunk)
    try:
        session.execute(download)
    except PermanentError as error:
        # Decided on the reason, not the status: a 404 whose reason is a server error is retried.
        if error.reason not in NOT_FOUND_REASONS:
            raise
        raise ReportGone(
            f"Report {report.get('id')}: YouTube no longer has its file ({error.status} {error.reason}).",
            method=error.method,
            owner_id=error.owner_id,
            status=error.status,
            reason=error.reason,
        ) from None
    return download.result
