"""Content ID policies as a person reads them, and how restrictive a policy label is.

A claim's policy is either a saved policy ({"id": …}, policies.list) or the claim's own rules
({"rules": […]}, youtubePartner v1 Claim.policy); see syncs.youtube.mapping.claim_policy_canonical.
This module sits in videos (the catalogue) so that the claim admin, the change-set pages and the
audit history word a policy the same way.
"""

from collections.abc import Iterable, Mapping

from videos.models import Policy

# PolicyRule.action values [disc youtubePartner v1 PolicyRule.action: block, monetize, takedown, track].
_ACTION_WORDS = {"block": "Block", "monetize": "Monetize", "takedown": "Take down", "track": "Track"}


def policy_rank(label: str) -> int:
    """How restrictive a policy label reads: block 6, track 4, monetize 2, other 0.

    A label that also names a milder action ranks one below its strongest: "Monetize in US; Track
    elsewhere" (3) is milder than "Track in all countries" (4), as rights managers order them.
    """
    text = label.lower()
    found = [rank for word, rank in (("block", 3), ("track", 2), ("monetiz", 1)) if word in text]
    if not found:
        return 0
    return 2 * max(found) - (1 if len(found) > 1 else 0)


def policy_names(*, owner_id: str | None, policies: Iterable[dict | None]) -> dict[str, str]:
    """The names of the saved policies among `policies` that the owner's catalogue knows (one query).

    Only the owner's policies (and ones kept without an owner) are named: an id YouTube answered
    that belongs to another owner stays an id.
    """
    ids = {policy["id"] for policy in policies if isinstance(policy, dict) and policy.get("id")}
    if not ids:
        return {}
    known = Policy.objects.filter(pk__in=ids)
    known = known.filter(content_owner_id=owner_id) | known.filter(content_owner__isnull=True)
    return dict(known.values_list("pk", "name"))


def claim_rule_text(rule: dict) -> str:
    """One rule in a short sentence: "Monetize in all countries", "Block in US, CA",
    "Track everywhere except DE"; other conditions (match duration, percent…) are only mentioned."""
    action = _ACTION_WORDS.get(rule.get("action", ""), str(rule.get("action") or "?").capitalize())
    conditions = dict(rule.get("conditions") or {})
    territories = conditions.pop("requiredTerritories", None) or {}
    countries = ", ".join(territories.get("territories") or [])
    if not countries:
        where = "in all countries"
    elif territories.get("type") == "exclude":
        where = f"everywhere except {countries}"
    else:
        where = f"in {countries}"
    return f"{action} {where}" + (" (with match conditions)" if conditions else "")


def claim_policy_is_set(value) -> bool:
    """Whether a value is a claim's policy: a saved policy's id or rules."""
    return isinstance(value, dict) and bool(value.get("id") or value.get("rules"))


def claim_policy_text(policy: dict | None, *, names: Mapping[str, str]) -> str:
    """A claim's policy as a person reads it: a saved policy by its name (its id when the catalogue
    does not know it), the claim's own rules as "Custom rules: …", or that it is not known.

    `names` comes from policy_names (one query for a whole page).
    """
    if not claim_policy_is_set(policy):
        return "(not read from YouTube)"
    if policy.get("id"):
        return names.get(policy["id"]) or f"Saved policy {policy['id']}"
    return "Custom rules: " + "; ".join(claim_rule_text(rule) for rule in policy["rules"])


def claim_policy_described(policy: dict | None, *, owner_id: str | None) -> str:
    """claim_policy_text for one policy (one query): a claim's page, a message."""
    return claim_policy_text(policy, names=policy_names(owner_id=owner_id, policies=[policy]))
