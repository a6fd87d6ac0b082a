"""Change-set items' values as a person reads them: on the change-set page, the item pages and in
the live frames a push sends (syncs.events.publish_sync_status)."""

from collections.abc import Iterable, Mapping

from syncs.models import ChangeSetItem
from videos.policies import claim_policy_is_set, claim_policy_text, policy_names


def value_shown(value) -> str:
    """A field's value as a person reads it: tags as a comma list, Yes/No, "(none)" for nothing."""
    if value is None or value == "" or value == [] or value == {}:
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(value_shown(part) for part in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_shown(part)}" for key, part in value.items())
    return str(value)


# Items whose values are a claim's policy ({"id": …} or {"rules": […]}).
CLAIM_POLICY_KINDS = (ChangeSetItem.Kind.CLAIM_INSERT, ChangeSetItem.Kind.CLAIM_PATCH)


def item_value_shown(item: ChangeSetItem, value, *, names: Mapping[str, str]) -> str:
    """An item's value as a person reads it: a claim's policy by name or in words, else value_shown."""
    if item.kind in CLAIM_POLICY_KINDS and claim_policy_is_set(value):
        return claim_policy_text(value, names=names)
    return value_shown(value)


def item_policy_names(items, *, owner_id: str | None) -> dict[str, str]:
    """The names of the saved policies the claim items' values name (one query)."""
    return policy_names(
        owner_id=owner_id,
        policies=[
            value
            for item in items
            if item.kind in CLAIM_POLICY_KINDS
            for value in (item.base_value, item.new_value, item.theirs_value)
        ],
    )


def items_worded(items: Iterable[ChangeSetItem], *, owner_id: str | None) -> dict[int, dict[str, str]]:
    """Each item's base, YouTube's value and ours in words ({item pk: {"base", "theirs", "ours"}})."""
    items = list(items)
    names = item_policy_names(items, owner_id=owner_id)
    return {
        item.pk: {
            "base": item_value_shown(item, item.base_value, names=names),
            "theirs": item_value_shown(item, item.theirs_value, names=names),
            "ours": item_value_shown(item, item.new_value, names=names),
        }
        for item in items
    }
