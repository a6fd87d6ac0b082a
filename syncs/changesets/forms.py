"""Admin forms that add Content ID items to the user's draft change set."""

from django import forms
from django.core.exceptions import ValidationError

from syncs.changesets.release import time_zone_names
from syncs.changesets.services import POLICY_ACTIONS
from videos.models import Asset, Claim, Policy


class ClaimPolicyForm(forms.Form):
    """A claim's policy: a saved policy of the content owner, or one rule (monetize, track or block)."""

    policy = forms.ModelChoiceField(
        queryset=Policy.objects.none(),
        required=False,
        empty_label="— no saved policy: use the rule below —",
        label="Saved policy",
    )
    # Not "action": the admin's own POST field of that name picks the admin action.
    rule = forms.ChoiceField(
        choices=[("", "— no rule: use the saved policy —"), *((a, a.capitalize()) for a in POLICY_ACTIONS)],
        required=False,
        label="Or a rule",
        help_text="Monetize runs ads, track only counts views, block keeps the video from being seen.",
    )

    def __init__(self, *args, owner_id: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id = owner_id
        self.fields["policy"].queryset = Policy.objects.filter(content_owner_id=owner_id).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("policy") and data.get("rule"):
            raise ValidationError("Choose a saved policy or a rule, not both.")
        if not data.get("policy") and not data.get("rule"):
            raise ValidationError("Choose a saved policy or a rule (monetize, track or block).")
        return data

    def policy_arguments(self) -> dict:
        """The policy_id / rules arguments of changeset_add_claim_insert and changeset_add_claim_policy."""
        policy = self.cleaned_data.get("policy")
        if policy is not None:
            return {"policy_id": policy.pk}
        return {"rules": [{"action": self.cleaned_data["rule"]}]}


class ClaimInsertForm(ClaimPolicyForm):
    """Claim the selected videos with one asset of their content owner."""

    asset = forms.CharField(
        max_length=64, label="Asset id", help_text="The Content ID asset (A…) of this content owner."
    )
    content_type = forms.ChoiceField(
        choices=Claim.ContentType.choices,
        initial=Claim.ContentType.AUDIOVISUAL,
        help_text="Which part of the video the claim covers.",
    )
    field_order = ["asset", "content_type", "policy", "rule"]

    def clean_asset(self):
        asset_id = self.cleaned_data["asset"].strip()
        asset = Asset.objects.filter(pk=asset_id).first()
        # One answer for an unknown asset and another owner's: the form must not tell a user which
        # asset ids exist under other content owners.
        if asset is None or asset.content_owner_id != self.owner_id:
            raise ValidationError(
                f"Asset {asset_id} is not an asset of this content owner: Content ID only claims a video "
                "with an asset of the owner of its channel."
            )
        return asset


class ChangeSetScheduleForm(forms.Form):
    """Release day (#19): the moment a change set's push runs, as a date and time in a time zone."""

    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    clock = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="The moment is that date and time there; the quota day it falls into is Pacific.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in time_zone_names()]
