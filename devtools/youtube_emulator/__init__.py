"""A local YouTube for tests and development: Data API v3, Content ID, Reporting, OAuth — over real HTTP.

Pure standard library (plus ``cryptography`` to check service-account signatures); no Django here, so tests
and other processes can import it. It behaves like Google's services as documented in
docs/youtube.md#how-youtubes-apis-behave, including the parts that hurt (videos.update wipes what a part
leaves out, quota is spent by failed calls, quota and rate limits are 403s).

Use from Python::

    from devtools.youtube_emulator import EmulatorServer

    with EmulatorServer() as server:            # port 0: a free port; background thread
        server.state.load(seed)                 # see the seed format below
        youtube = build("youtube", "v3", static_discovery=True, credentials=creds,
                        client_options={"api_endpoint": server.url + "/"})
        server.state.requests(operation="youtube.videos.update")
        server.state.operation_counts("youtube.videos.update")  # {"total", "byResource": {id: n}}
        server.state.set_faults(operation_latency_ms={"youtube.videos.update": 200})  # one slow endpoint
        server.state.quota_used("my-project")

From another process the same through ``/_emulator/`` (``GET /_emulator/`` lists every control), e.g.
``GET /_emulator/counters?operation=youtube.videos.update[&status=any]`` and
``POST /_emulator/faults {"operationLatencyMs": {"youtube.videos.update": 200}}``.

Quota, as Google counts it: per Google Cloud project, per API, per Pacific day ("Daily quotas reset at
midnight Pacific Time (PT)"); a call of a method costs its price in the table, and "All API requests,
including invalid requests, incur a quota cost of at least one point" [doc
https://developers.google.com/youtube/v3/determine_quota_cost]. Google prices no failed answer beyond
that floor, so (``state.answer_cost``): a 401 for a token Google issued (an expired one) and a 5xx
(``backendError``, ``notReady``, ``internalError``; injected ones too) cost 1 unit; a rejection by the
method itself (``invalidTitle``, ``forbidden``, …) costs the full price, or 1 with
``chargeRejectedFull: false``; a ``quotaExceeded`` refusal and credentials Google never issued cost nothing
(no project to charge), and so do injected faults other than 401 and 5xx. Each request's cost is in the
request log (``quotaCost``).

Studio edits (what a rights manager does in Studio Content Manager, not through the API: no request
logged, no quota): a claim's policy with ``POST /_emulator/claims/<id>/studio-policy {"policy": {"rules":
[...]}}`` (or ``{"id": ...}``), ``content_id.claim_studio_set_policy`` from Python; checked as claims.patch
checks it. Source: "You can manually override the policy associated with a claim"
[support.google.com/youtube/answer/3369929]; a policy is "one or more if-then rules"
[support.google.com/youtube/answer/107383].

From the command line: ``manage.py youtube_emulator --port 8765 [--host 127.0.0.1] [--seed-file seed.json]``.
Point google-auth's ``token_uri`` at ``server.url + "/token"``.

Reporting API: every content owner has the system-managed jobs of ``settings["systemManagedReportTypes"]``
(Daily video metadata a4, Daily claims a3) unless its seed lists its own. A test (or another process)
makes YouTube generate a report with ``POST /_emulator/reporting/reports {"contentOwner": "owner-a"}``
(the CSV is the owner's catalogue as the emulator holds it) or with ``"csv"`` / ``"csvBase64"`` of its own;
see ``reporting.publish_report``.

Seed format (``state.load(seed)``, ``POST /_emulator/state``, ``--seed-file``); every key is optional::

    {
      "contentOwners":  [{"id": "owner-a", "displayName": "Label A"}],
      "accounts":       [{"id": "alice@example.com", "contentOwners": ["owner-a"], "channels": []}],
      "oauthClients":   [{"clientId": "cid", "clientSecret": "secret", "project": "proj",
                          "redirectUris": ["http://127.0.0.1:8000/oauth/callback"]}],
      "apiKeys":        [{"key": "AIza-test", "project": "proj"}],
      "refreshTokens":  [{"token": "1//rt", "clientId": "cid", "account": "alice@example.com", "scopes": [...]}],
      "serviceAccounts":[{"clientEmail": "sa@proj.iam.gserviceaccount.com", "publicKeyPem": "-----BEGIN PUBLIC KEY...",
                          "keyId": "kid", "project": "proj", "contentOwners": ["owner-a"]}],
      "channels":       [{"id": "UC...", "contentOwner": "owner-a", "snippet": {"title": "..."}}],
      "videos":         [{"id": "vid", "snippet": {"channelId": "UC...", "title": "...", "tags": [...],
                          "categoryId": "10"}, "status": {"privacyStatus": "private"}}],
      "assets":         [{"id": "A1", "contentOwner": "owner-a", "type": "music_video", "metadata": {...}}],
      "policies":       [{"id": "P1", "contentOwner": "owner-a", "name": "Monetize", "rules": [{"action": "monetize"}]}],
      "claims":         [{"id": "C1", "contentOwner": "owner-a", "assetId": "A1", "videoId": "vid",
                          "contentType": "audiovisual", "policy": {"id": "P1"}}],
      "reportJobs":     [{"id": "job1", "contentOwner": "owner-a",
                          "reportTypeId": "content_owner_video_metadata_a4", "systemManaged": true}],
      "reports":        [{"id": "r1", "jobId": "job1", "startTime": "...", "endTime": "...",
                          "csv": "video_id,...\\n..."}],          # or "csvBase64", or "csvPath"
      "categories":     {"GB": [{"id": "10", "title": "Music", "assignable": true}]},
      "settings":       {"accessTokenLifetime": 3599, ...},      # see state.DEFAULT_SETTINGS
      "quotaLimits":    {"youtube": 10000}
    }
"""

from .clock import Clock
from .errors import ApiError
from .server import EmulatorApp, EmulatorServer
from .state import DEFAULT_SCOPES, DEFAULT_SETTINGS, EmulatorState

__all__ = [
    "DEFAULT_SCOPES",
    "DEFAULT_SETTINGS",
    "ApiError",
    "Clock",
    "EmulatorApp",
    "EmulatorServer",
    "EmulatorState",
]
