"""The syncs pieces of the video admin: "Refresh from YouTube", the push history, the claim actions."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from syncs.changesets.forms import ClaimInsertForm, ClaimPolicyForm
from syncs.changesets.selectors import video_sync_history
from syncs.changesets.services import (
    ChangeSetError,
    changeset_add_claim_insert,
    changeset_add_claim_policy,
    claim_base_policy,
)
from syncs.models import ChangeSet
from syncs.services.pull import videos_pull
from syncs.tasks import videos_refresh
from syncs.youtube.errors import YouTubeError
from videos.policies import claim_policy_described, claim_policy_is_set, claim_policy_text, policy_names
from videos.selectors import videos_editable_by

# One videos.list call reads 50 videos: up to that, the refresh runs while the page waits.
REFRESH_INLINE_MAX = 50
# 10,000 videos are 200 videos.list calls (200 units); bigger reads belong to the reports.
REFRESH_SELECTION_MAX = 10_000


@admin.action(description="Refresh from YouTube", permissions=["change"])
def refresh_from_youtube(modeladmin, request, queryset):
    editable = queryset.filter(pk__in=videos_editable_by(user=request.user).values("pk"))
    video_ids = list(editable.order_by("pk").values_list("pk", flat=True)[: REFRESH_SELECTION_MAX + 1])
    if not video_ids:
        modeladmin.message_user(request, "None of the selected videos is yours to refresh.", messages.ERROR)
        return
    if len(video_ids) > REFRESH_SELECTION_MAX:
        modeladmin.message_user(
            request,
            f"More than {REFRESH_SELECTION_MAX:,} videos selected; narrow the selection (the CMS "
            "reports are the way to read a whole catalogue).",
            messages.ERROR,
        )
        return
    if len(video_ids) > REFRESH_INLINE_MAX:
        videos_refresh.enqueue(video_ids=video_ids, user_id=request.user.pk)
        modeladmin.message_user(
            request,
            f"Refreshing {len(video_ids):,} {ngettext('video', 'videos', len(video_ids))} from YouTube "
            "in the background; reload the list "
            "in a while to see YouTube's values.",
            messages.INFO,
        )
        return
    try:
        result = videos_pull(video_ids=video_ids)
    except YouTubeError as error:
        modeladmin.message_user(request, f"Refresh from YouTube failed: {error.message}", messages.ERROR)
        return
    level = messages.WARNING if result.owners_waiting or result.videos_missing else messages.SUCCESS
    modeladmin.message_user(request, f"Refreshed from YouTube. {result.summary()}", level)


# ---------------------------------------------------------------------------- history


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if value in ("", None):
        return "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "(none)"
    return str(value)


def _field_outcome(values: dict, shown=_shown) -> str:
    """One field of an audit row in words: what YouTube holds and whether ours got there."""
    if values.get("kept") == "theirs":
        return f"kept YouTube's {_shown(values.get('theirs'))}; ours dropped: {_shown(values.get('ours'))}"
    if values.get("kept") == "ours":
        return (
            f"ours replaces YouTube's {_shown(values.get('theirs'))} at the next push: "
            f"{_shown(values.get('ours'))}"
        )
    if "after" in values:
        return f"{shown(values.get('before'))} → {shown(values['after'])}"
    ours = shown(values.get("ours"))
    if "base" in values:
        return (
            f"changed on YouTube {shown(values['base'])} → {shown(values.get('theirs'))}; "
            f"ours not sent: {ours}"
        )
    if "theirs" in values:
        return f"YouTube answered {shown(values['theirs'])}; ours not applied: {ours}"
    if "before" in values:
        return f"YouTube had {shown(values['before'])}; ours not written: {ours}"
    return f"ours not written: {ours}"


def video_sync_history_html(video) -> str:
    """The video's audit rows, newest first, for its admin page (read-only)."""
    records, total = video_sync_history(video_id=video.pk)
    records = list(records)
    # A claim's policy reads as the policy's name or its rules in words (claim_policy_text).
    names = policy_names(
        owner_id=video.channel.content_owner_id,
        policies=[
            value
            for record in records
            for name, values in (record.fields or {}).items()
            if name.startswith("claim:")
            for value in values.values()
        ],
    )

    def claim_shown(value) -> str:
        return claim_policy_text(value, names=names) if claim_policy_is_set(value) else _shown(value)

    rows = [
        {
            "record": record,
            "changeset_url": reverse("admin:syncs_changeset_change", args=[record.changeset_id])
            if record.changeset_id
            else "",
            "fields": [
                (name, _field_outcome(values, claim_shown if name.startswith("claim:") else _shown))
                for name, values in sorted((record.fields or {}).items())
            ],
            "parts": ", ".join(record.parts_sent or []),
        }
        for record in records
    ]
    all_url = reverse("admin:syncs_syncrecord_changelist") + "?" + urlencode({"video": video.pk})
    return render_to_string(
        "admin/syncs/video_sync_history.html", {"rows": rows, "total": total, "all_url": all_url}
    )


# ---------------------------------------------------------------------------- Content ID items

# Each claim is its own item and two Content ID calls; bigger selections belong in several sets.
CLAIM_ACTION_MAX = 500
# How many of the selected videos or claims the form lists by name.
CLAIM_FORM_LISTED = 20


def _one_owner(modeladmin, request, owners: set) -> bool:
    if len(owners) > 1:
        modeladmin.message_user(
            request,
            f"The selection spans {len(owners)} content owners; assets and policies belong to one. "
            "Select videos of one content owner (filter the list by content owner).",
            messages.ERROR,
        )
        return False
    return True


def _report(
    modeladmin, request, draft: ChangeSet | None, done: int, errors: list[str], what: tuple[str, str]
) -> None:
    """`draft`: the change set the items went to (the selection's content owner's draft); `what`:
    the items' name in the singular and the plural."""
    if done and draft is not None:
        modeladmin.message_user(
            request,
            format_html(
                '{} {} added to your draft change set <a href="{}">{}</a>: preview and push it from there.',
                f"{done:,}",
                ngettext(*what, done),
                reverse("admin:syncs_changeset_change", args=[draft.pk]),
                draft,
            ),
            messages.SUCCESS,
        )
    for error in errors[:CLAIM_FORM_LISTED]:
        modeladmin.message_user(request, f"Not added: {error}", messages.ERROR)
    if len(errors) > CLAIM_FORM_LISTED:
        modeladmin.message_user(
            request, f"… and {len(errors) - CLAIM_FORM_LISTED} more not added.", messages.ERROR
        )


def _form_page(modeladmin, request, *, form, title, intro, targets, action_name):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": modeladmin.model._meta,
        "form": form,
        "count": len(targets),
        "targets": targets[:CLAIM_FORM_LISTED],
        "more": max(len(targets) - CLAIM_FORM_LISTED, 0),
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": action_name,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/syncs/claim_form.html", context)


def _too_many(modeladmin, request, count: int, what: str) -> bool:
    if count > CLAIM_ACTION_MAX:
        modeladmin.message_user(
            request,
            f"More than {CLAIM_ACTION_MAX:,} {what} selected; add claims in smaller change sets.",
            messages.ERROR,
        )
        return True
    return False


@admin.action(description="Claim with asset…", permissions=["change"])
def claim_with_asset(modeladmin, request, queryset):
    """claims.insert items for the selected videos: one asset, a content type, a policy."""
    editable = queryset.filter(pk__in=videos_editable_by(user=request.user).values("pk"))
    videos = list(editable.select_related("channel").order_by("pk")[: CLAIM_ACTION_MAX + 1])
    if not videos:
        modeladmin.message_user(request, "None of the selected videos is yours to edit.", messages.ERROR)
        return None
    if _too_many(modeladmin, request, len(videos), "videos"):
        return None
    owners = {video.channel.content_owner_id for video in videos}
    if not _one_owner(modeladmin, request, owners):
        return None
    form = ClaimInsertForm(request.POST if "claim_step" in request.POST else None, owner_id=owners.pop())
    if form.is_bound and form.is_valid():
        done, errors, draft = 0, [], None
        for video in videos:
            try:
                draft = changeset_add_claim_insert(
                    user=request.user,
                    video=video,
                    asset_id=form.cleaned_data["asset"].pk,
                    content_type=form.cleaned_data["content_type"],
                    **form.policy_arguments(),
                ).changeset
                done += 1
            except ChangeSetError as error:
                errors.append(str(error))
        _report(
            modeladmin,
            request,
            draft,
            done,
            errors,
            ("new claim (claims.insert)", "new claims (claims.insert)"),
        )
        return None
    return _form_page(
        modeladmin,
        request,
        form=form,
        title="Claim with asset",
        intro=f"Claim {len(videos)} video{'s' if len(videos) != 1 else ''} with one asset.",
        targets=[f"{video.title} ({video.pk})" for video in videos],
        action_name="claim_with_asset",
    )


def _claim_policy_now(claim) -> str:
    """What YouTube has for the claim's policy, in words."""
    return claim_policy_described(
        claim_base_policy(claim=claim), owner_id=claim.video.channel.content_owner_id
    )


@admin.action(description="Change claim policy…")
def change_claim_policy(modeladmin, request, queryset):
    """claims.patch items for the selected claims: a saved policy or a rule."""
    claims = list(
        queryset.filter(video__in=videos_editable_by(user=request.user))
        .select_related("video__channel", "policy")
        .order_by("pk")[: CLAIM_ACTION_MAX + 1]
    )
    if not claims:
        modeladmin.message_user(
            request, "None of the selected claims is on a video you may edit.", messages.ERROR
        )
        return None
    if _too_many(modeladmin, request, len(claims), "claims"):
        return None
    owners = {claim.video.channel.content_owner_id for claim in claims}
    if not _one_owner(modeladmin, request, owners):
        return None
    form = ClaimPolicyForm(request.POST if "claim_step" in request.POST else None, owner_id=owners.pop())
    if form.is_bound and form.is_valid():
        done, errors, draft = 0, [], None
        for claim in claims:
            try:
                draft = changeset_add_claim_policy(
                    user=request.user, claim=claim, **form.policy_arguments()
                ).changeset
                done += 1
            except ChangeSetError as error:
                errors.append(str(error))
        _report(
            modeladmin,
            request,
            draft,
            done,
            errors,
            ("claim policy change (claims.patch)", "claim policy changes (claims.patch)"),
        )
        return None
    return _form_page(
        modeladmin,
        request,
        form=form,
        title="Change claim policy",
        intro=f"Set the policy of {len(claims)} claim{'s' if len(claims) != 1 else ''}.",
        targets=[
            f"Claim {claim.pk}: asset {claim.asset_id} on {claim.video_id}, now {_claim_policy_now(claim)}"
            for claim in claims
        ],
        action_name="change_claim_policy",
    )
