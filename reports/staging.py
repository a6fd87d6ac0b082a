"""What both merge paths share: the staged row, the grouping rules, policies, results, previews.

A parsed report row becomes one *staged row*, a plain tuple (cheap to build, and exactly what the
PostgreSQL path COPYs). Rows are merged in chunks; within a chunk the rows of one video form one
group, and the rules below turn a group into the video's remote state. The SQL merge
(merge_postgres) and the Python reference (merge_python) implement the same rules; a test runs
both on the same file and compares every row they write.

Grouping rules (the report has one row per (video, claim)):
- video-level values come from the group's first row (lowest line number);
- claimed_status is the strongest of the rows: claimed > others > unclaimed;
- effective_policy is the most restrictive label of the rows (block > track > monetize > other,
  ties to the first row); when the report has the column and no row has a label, it is "";
- isrc and custom_id fill the video's own fields only when those are empty (first non-empty);
- assets and claims are taken from the first row that names them.

Claims that left the report: a daily report lists every claim of each video it covers (one row
per (video, claim)). So when a report with claim_id and asset_id columns, imported for a
content owner, covers a video, that video's *active* claims it does not list are marked
inactive (kept, with their history), and a listed claim we hold as inactive is active again.
A video is covered only when none of its rows in the chunk was rejected (a rejected row may be
the very claim). Claims of videos the report does not mention are never touched: the rows of
one video arrive together, and a file may be any part of the catalogue. (A Reporting API a4
file is the owner's whole inventory, which would allow more; that is not used yet.)
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reports.counters import MERGE_COUNTERS
from videos.models import Policy, Video
from videos.policies import policy_rank
from videos.selectors import asset_ids_of_other_owners, claim_ids_of_other_owners
from videos.services import STATISTICS_FIELDS, WRITABLE_FIELDS

# Video fields a report can carry (ReportRow.remote keys), in staged-row order.
REMOTE_FIELDS = (
    "title",
    "privacy_status",
    "category_id",
    "embeddable",
    "published_at",
    "duration_seconds",
    "view_count",
    "comment_count",
    "made_for_kids",
    "self_declared_made_for_kids",
    "claimed_status",
    "effective_policy",
    "tags",
    "description",
)
# Writable fields a report carries: a pending edit keeps ours, otherwise YouTube's value wins.
REPORT_WRITABLE = [name for name in REMOTE_FIELDS if name in WRITABLE_FIELDS]
# Read-only fields a report carries: YouTube's value wins when the report has one.
REPORT_READONLY = [
    name
    for name in REMOTE_FIELDS
    if name not in WRITABLE_FIELDS and name not in ("claimed_status", "effective_policy")
] + ["claimed_status", "effective_policy"]
# The counters a report carries: a video whose only change is one of them gets them alone written.
REPORT_STATISTICS = [name for name in REPORT_READONLY if name in STATISTICS_FIELDS]
LINE, VIDEO, CHANNEL, CHANNEL_TITLE = 0, 1, 2, 3
REMOTE_START = 4
CLAIM_ID = REMOTE_START + len(REMOTE_FIELDS)
ASSET_ID, CONTENT_TYPE, ORIGIN, POLICY_LABEL, CUSTOM_ID, ISRC = range(CLAIM_ID + 1, CLAIM_ID + 7)
POLICY_RANK = ISRC + 1  # policy_rank(effective_policy), computed once per label by the feeder
STAGED_WIDTH = POLICY_RANK + 1
# For the SQL merge, with_video_aggregates appends to each row: whether it is its video's first
# row in the chunk and, on that row, the video's claimed status, policy, ISRC and custom id.
AGGREGATE_COLUMNS = ["is_first", "agg_claimed_status", "agg_effective_policy", "agg_isrc", "agg_custom_id"]
AGGREGATE_PG_TYPES = ["bool", "text", "text", "text", "text"]
_NOT_FIRST = (False, None, None, None, None)
REMOTE_INDEX = {name: REMOTE_START + i for i, name in enumerate(REMOTE_FIELDS)}
CLAIMED_STATUS = REMOTE_INDEX["claimed_status"]
EFFECTIVE_POLICY = REMOTE_INDEX["effective_policy"]

# PostgreSQL types of the staged columns, for a binary COPY.
STAGED_PG_TYPES = (
    ["int8", "text", "text", "text"]
    + ["text", "text", "text", "bool", "timestamptz", "int4", "int8", "int8", "bool", "bool", "text", "text"]
    + ["text[]", "text"]
    + ["text"] * 7
    + ["int2"]
)
STAGED_COLUMNS = (
    ["line_number", "video_id", "channel_id", "channel_title"]
    + [f"r_{name}" for name in REMOTE_FIELDS]
    + ["claim_id", "asset_id", "content_type", "origin", "policy_label", "custom_id", "isrc"]
    + ["policy_rank"]
)
assert len(STAGED_PG_TYPES) == len(STAGED_COLUMNS) == STAGED_WIDTH

CHANNEL_TITLE_MAX_CHARS = Video._meta.get_field("channel").related_model._meta.get_field("title").max_length
CLAIMED_RANK = {"claimed": 3, "others": 2, "unclaimed": 1}
RANKED_CLAIMED = {rank: status for status, rank in CLAIMED_RANK.items()}
PARTNER_UPLOADED = "partner uploaded"  # claim_origin of claims on the partner's own uploads
SOURCE = Video.SnapshotSource.REPORT

# Fields whose change makes a video "updated". The bookkeeping fields (remote_etag,
# remote_source, remote_fetched_at, updated_at, created_at) are not among them: an import that
# finds what the catalogue already holds writes nothing at all.
BOOKKEEPING_FIELDS = frozenset(
    {"id", "channel", "remote_etag", "remote_source", "remote_fetched_at", "created_at", "updated_at"}
)
CATALOGUE_FIELDS = tuple(f.name for f in Video._meta.concrete_fields if f.name not in BOOKKEEPING_FIELDS)
# What a preview shows per video (derived columns such as the snapshot itself are left out).
PREVIEW_FIELDS = (
    "title",
    "description",
    "tags",
    "category_id",
    "privacy_status",
    "embeddable",
    "self_declared_made_for_kids",
    "published_at",
    "duration_seconds",
    "view_count",
    "comment_count",
    "made_for_kids",
    "claimed_status",
    "effective_policy",
    "isrc",
    "custom_id",
    "pending_fields",
    "drifted_fields",
)


@dataclass
class VideoGroup:
    video_id: str
    rows: list  # staged rows, in file order
    channel_id: str
    channel_title: str
    remote: dict
    isrc: str
    custom_id: str


def group_by_video(rows: list[tuple], *, has_policy_column: bool) -> list[VideoGroup]:
    """The chunk's rows as one group per video, sorted by video id (the SQL path's order)."""
    by_video: dict[str, list[tuple]] = {}
    for row in rows:
        by_video.setdefault(row[VIDEO], []).append(row)
    groups = []
    for video_id in sorted(by_video):
        members = by_video[video_id]
        first = members[0]
        remote = {
            name: first[REMOTE_START + i]
            for i, name in enumerate(REMOTE_FIELDS)
            if first[REMOTE_START + i] is not None and name not in ("claimed_status", "effective_policy")
        }
        rank = max((CLAIMED_RANK.get(row[CLAIMED_STATUS] or "", 0) for row in members), default=0)
        if rank:
            remote["claimed_status"] = RANKED_CLAIMED[rank]
        labels = [row[EFFECTIVE_POLICY] for row in members if row[EFFECTIVE_POLICY]]
        if labels:
            best = max(policy_rank(label) for label in labels)
            remote["effective_policy"] = next(label for label in labels if policy_rank(label) == best)
        elif has_policy_column:
            remote["effective_policy"] = ""
        groups.append(
            VideoGroup(
                video_id=video_id,
                rows=members,
                channel_id=first[CHANNEL],
                channel_title=first[CHANNEL_TITLE],
                remote=remote,
                isrc=next((row[ISRC] for row in members if row[ISRC]), ""),
                custom_id=next((row[CUSTOM_ID] for row in members if row[CUSTOM_ID]), ""),
            )
        )
    return groups


def with_video_aggregates(rows: list[tuple]) -> list[tuple]:
    """The rows with AGGREGATE_COLUMNS appended (the grouping rules, computed in one pass here
    so the SQL merge needs no sort or aggregate; group_by_video is the reference they must match)."""
    groups: dict[str, list] = {}
    for index, row in enumerate(rows):
        label = row[EFFECTIVE_POLICY]
        rank = row[POLICY_RANK] if label else -1
        group = groups.get(row[VIDEO])
        if group is None:
            groups[row[VIDEO]] = [
                index,
                CLAIMED_RANK.get(row[CLAIMED_STATUS], 0),
                rank,
                label,
                row[ISRC],
                row[CUSTOM_ID],
            ]
            continue
        claimed = CLAIMED_RANK.get(row[CLAIMED_STATUS], 0)
        if claimed > group[1]:
            group[1] = claimed
        if rank > group[2]:  # strictly: on a tie the earlier row keeps it
            group[2], group[3] = rank, label
        if not group[4] and row[ISRC]:
            group[4] = row[ISRC]
        if not group[5] and row[CUSTOM_ID]:
            group[5] = row[CUSTOM_ID]
    out = [row + _NOT_FIRST for row in rows]
    for index, claimed, _, label, isrc, custom_id in groups.values():
        out[index] = rows[index] + (
            True,
            RANKED_CLAIMED.get(claimed),
            label or None,
            isrc or None,
            custom_id or None,
        )
    return out


def first_by(rows: list[tuple], position: int) -> dict[str, tuple]:
    """The first row (in file order) for each non-empty value at `position`."""
    found: dict[str, tuple] = {}
    for row in rows:
        key = row[position]
        if key and key not in found:
            found[key] = row
    return found


def channel_title(row: tuple) -> str:
    return (row[CHANNEL_TITLE] or row[CHANNEL])[:CHANNEL_TITLE_MAX_CHARS]


def is_partner_uploaded(origin: str | None) -> bool:
    return (origin or "").lower() == PARTNER_UPLOADED


# ---------------------------------------------------------------------------- policies


def derived_policy_id(owner_id: str | None, label: str) -> str:
    """A stable Policy id for a label seen in reports (policies.list ids are opaque too)."""
    digest = hashlib.sha1(f"{owner_id or ''}\x00{label}".encode()).hexdigest()[:40]
    return f"rpt-{digest}"


def policy_ids_for(labels, *, owner_id: str | None, dry_run: bool, cache: dict) -> dict[str, str]:
    """Map effective-policy labels to Policy ids: a saved policy of that name, else one per label.

    Reports carry a policy's name, not its id. A saved policy of the owner with that name is
    used when there is one (e.g. read through the API); otherwise a Policy row per distinct
    label is created with a derived id. A dry run computes the same ids without creating rows.
    """
    missing = [label for label in labels if label and label not in cache]
    if missing:
        saved = {}
        for policy_id, name in (
            Policy.objects.filter(content_owner_id=owner_id, name__in=missing)
            .order_by("id")
            .values_list("id", "name")
        ):
            saved.setdefault(name, policy_id)
        for label in missing:
            policy_id = saved.get(label) or derived_policy_id(owner_id, label)
            if label not in saved and not dry_run:
                Policy.objects.get_or_create(
                    id=policy_id,
                    defaults={
                        "content_owner_id": owner_id,
                        "name": label,
                        "description": "Created from the effective_policy column of a CMS report.",
                    },
                )
            cache[label] = policy_id
    return {label: cache[label] for label in labels if label}


# ---------------------------------------------------------------------------- ownership


class ConcurrentChange(Exception):
    """Something the chunk writes was written by someone else while it was merged: merge again."""


def refuse_other_owners_rows(*, owner_id: str | None, claim_ids, asset_ids) -> None:
    """Raise ConcurrentChange if an existing claim or asset the merge is about to update is not
    the report's owner's.

    The feeder rejected every row naming another owner's claim or asset (pipeline, with the rule
    of videos.selectors), but outside the merge's transaction: one created by another owner's
    import since would reach the merge, which writes by id alone. Merging again does not help
    (the row is still there), so the chunk fails after its retries and the report with it; a re-run
    resumes at the chunk and its feeder rejects the row. Only rows the merge updates are checked:
    on a re-import of unchanged rows this costs nothing.
    """
    if owner_id is None:
        return
    claims = claim_ids_of_other_owners(owner_id=owner_id, claim_ids=claim_ids) if claim_ids else set()
    assets = asset_ids_of_other_owners(owner_id=owner_id, asset_ids=asset_ids) if asset_ids else set()
    if claims or assets:
        raise ConcurrentChange(
            f"{len(claims)} claims and {len(assets)} assets of the chunk are not this report's content "
            "owner's any more; re-run the import to reject their rows"
        )


# ---------------------------------------------------------------------------- results


@dataclass
class ChunkResult:
    rows_imported: int = 0
    rows_unchanged: int = 0
    videos_created: int = 0
    videos_updated: int = 0
    videos_unchanged: int = 0
    channels_created: int = 0
    claims_upserted: int = 0
    claims_deactivated: int = 0
    assets_created: int = 0
    preview: list = field(default_factory=list)

    COUNTERS = MERGE_COUNTERS


@dataclass
class MergeContext:
    """What a merge needs to know about its report; lives as long as one run."""

    report_id: int
    owner_id: str | None
    dry_run: bool
    has_policy_column: bool
    fetched_at: datetime
    preview_limit: int
    # The file lists claims per video (claim_id and asset_id columns) and has an owner: the
    # claims of each video it covers are complete, so missing ones are deactivated.
    claims_complete: bool = False
    policy_cache: dict = field(default_factory=dict)
    preview_taken: int = 0
    # Dry runs write nothing, so they remember what earlier chunks would have created.
    dry_channels: set = field(default_factory=set)
    dry_assets: dict = field(default_factory=dict)  # Python path only; SQL keeps a temp table

    @property
    def preview_room(self) -> int:
        return max(0, self.preview_limit - self.preview_taken) if self.dry_run else 0


def video_defaults() -> dict:
    """The values a new Video starts with (model defaults), by field name."""
    return {f.name: f.get_default() for f in Video._meta.concrete_fields}


def preview_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def preview_entry(video_id: str, *, created: bool, old: dict, new: dict) -> dict:
    """One video of a dry run's preview: {field: [old, new]} for the fields that would change."""
    changes = {
        name: [preview_value(old.get(name)), preview_value(new.get(name))]
        for name in PREVIEW_FIELDS
        if old.get(name) != new.get(name)
    }
    return {"video_id": video_id, "action": "create" if created else "update", "changes": changes}


# A new claim's columns (model field: the merge's column of it), as both set-based merges insert it.
CLAIM_INSERT_COLUMNS = {
    "id": "id",
    "video": "video_id",
    "asset": "asset_id",
    "content_type": "content_type",
    "policy": "policy_id",
    "origin": "origin",
    "is_partner_uploaded": "is_partner_uploaded",
}
