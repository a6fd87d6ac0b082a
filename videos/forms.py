from django import forms

from videos.models import Video
from videos.selectors import video_categories
from videos.services import BulkEdit, video_validate_changes, videos_bulk_edit_validate
from videos.validation import TAG_SEPARATOR, join_tags, normalise_line_endings, split_tags


class PlainTextField(forms.CharField):
    """Text kept as typed, except its line endings: a browser sends a textarea's line breaks as
    CRLF, YouTube keeps LF. Not stripped either (YouTube's text may end with a line break), so
    a field the person did not touch compares equal to what is stored and is no change."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalise_line_endings(super().to_python(value))


class ListField(forms.CharField):
    """A list edited as text: tags comma-separated (videos.validation.split_tags), names one per line."""

    def __init__(self, *, separator: str, **kwargs):
        self.separator = separator
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return join_tags(value) if self.separator == TAG_SEPARATOR else "\n".join(value)
        return value

    def to_python(self, value):
        if self.separator == TAG_SEPARATOR:
            return split_tags(value or "")
        text = normalise_line_endings(value or "")
        return [item.strip() for item in text.split(self.separator) if item.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


def category_choices(current: str = "") -> list[tuple[str, str]]:
    choices = [("", "—")]
    for category in video_categories():
        if category.assignable or category.category_id == current:
            label = category.title if category.assignable else f"{category.title} (not assignable)"
            choices.append((category.category_id, f"{label} · {category.category_id}"))
    if current and current not in {value for value, _ in choices}:
        choices.append((current, f"Unknown category {current}"))
    return choices


class VideoAdminForm(forms.ModelForm):
    tags = ListField(
        separator=TAG_SEPARATOR,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Comma-separated. YouTube allows 500 characters in all, commas included; "
        "a tag with a space counts 2 more.",
    )
    artists = ListField(separator="\n", widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line.")
    genres = ListField(separator="\n", widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line.")
    category_id = forms.ChoiceField(label="Category", required=False)

    class Meta:
        model = Video
        # Everything a person may edit; VideoAdmin's fieldsets lay them out.
        fields = (
            "title",
            "description",
            "tags",
            "category_id",
            "default_language",
            "localizations",
            "privacy_status",
            "publish_at",
            "embeddable",
            "public_stats_viewable",
            "license",
            "self_declared_made_for_kids",
            "contains_synthetic_media",
            "artists",
            "genres",
            "isrc",
            "custom_id",
            "notes",
        )
        # The texts a person types: kept as typed, line endings as YouTube keeps them.
        field_classes = {"title": PlainTextField, "description": PlainTextField, "notes": PlainTextField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category_id" in self.fields:
            current = self.instance.category_id if self.instance else ""
            self.fields["category_id"].choices = category_choices(current)

    def clean(self):
        cleaned = super().clean()
        changes = {
            name: cleaned[name] for name in self.changed_data if name in cleaned and not self.has_error(name)
        }
        if changes and self.instance.pk:
            for violation in video_validate_changes(video=self.instance, changes=changes):
                target = violation.field if violation.field in self.fields else None
                self.add_error(target, violation.message)
        return cleaned


class BulkEditForm(forms.Form):
    KEEP = ""
    privacy_status = forms.ChoiceField(required=False, choices=[(KEEP, "— keep —"), *Video.Privacy.choices])
    category_id = forms.ChoiceField(label="Category", required=False)
    license = forms.ChoiceField(required=False, choices=[(KEEP, "— keep —"), *Video.License.choices])
    add_tags = ListField(separator=TAG_SEPARATOR, help_text="Comma-separated tags to add.")
    remove_tags = ListField(separator=TAG_SEPARATOR, help_text="Comma-separated tags to remove (any case).")
    find = PlainTextField(required=False, help_text="Literal text, case-sensitive.")
    replace = PlainTextField(required=False)
    find_in = forms.MultipleChoiceField(
        required=False,
        choices=[("title", "Titles"), ("description", "Descriptions")],
        initial=["title", "description"],
        widget=forms.CheckboxSelectMultiple,
    )
    set_artists = forms.BooleanField(required=False, label="Replace artists")
    artists = ListField(separator="\n", widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line.")
    set_genres = forms.BooleanField(required=False, label="Replace genres")
    genres = ListField(separator="\n", widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = [("", "— keep —")] + category_choices()[1:]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("find") and not cleaned.get("find_in"):
            self.add_error("find_in", "Choose titles, descriptions or both to search in.")
        if self.errors:
            return cleaned
        edit = self.to_edit()
        if edit.is_empty():
            raise forms.ValidationError("Choose at least one change to make.")
        # Texts longer than their field are refused here, before the preview reads any video.
        for violation in videos_bulk_edit_validate(edit=edit):
            self.add_error(violation.field if violation.field in self.fields else None, violation.message)
        return cleaned

    def to_edit(self) -> BulkEdit:
        data = self.cleaned_data
        return BulkEdit(
            privacy_status=data.get("privacy_status") or None,
            category_id=data.get("category_id") or None,
            license=data.get("license") or None,
            add_tags=tuple(data.get("add_tags") or ()),
            remove_tags=tuple(data.get("remove_tags") or ()),
            find=data.get("find") or "",
            replace=data.get("replace") or "",
            find_in=tuple(data.get("find_in") or ()),
            artists=tuple(data.get("artists") or ()) if data.get("set_artists") else None,
            genres=tuple(data.get("genres") or ()) if data.get("set_genres") else None,
        )
