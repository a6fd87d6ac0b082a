from django import forms
from django.conf import settings

from reports.selectors import report_owners_importable_by
from reports.uploads import _size

REPORT_SUFFIXES = (".csv", ".csv.gz", ".gz", ".zip")


class ReportUploadForm(forms.Form):
    file = forms.FileField(
        label="Report file",
        help_text="A YouTube CMS video report: .csv, .csv.gz or .zip (one CSV inside).",
    )
    content_owner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        help_text="The content owner the report is for. New channels are created under it, and rows of "
        "other owners' channels are rejected.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        owners = report_owners_importable_by(user=user).order_by("name")
        self.fields["content_owner"].queryset = owners
        if not user.is_superuser:
            self.fields["content_owner"].required = True
            self.fields["content_owner"].empty_label = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.REPORTS_MAX_UPLOAD_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(f"The file is larger than the {_size(limit)} allowed.")
        if not upload.name.lower().endswith(REPORT_SUFFIXES):
            raise forms.ValidationError("Upload the report as .csv, .csv.gz or .zip.")
        return upload


class EditSheetUploadForm(forms.Form):
    file = forms.FileField(
        label="Edit sheet",
        help_text="A CSV exported with “Export edit sheet” and edited: an empty cell changes nothing, "
        "(none) clears a field, a list cell (tags|artists|genres, separated by |) replaces the list.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.REPORTS_MAX_UPLOAD_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(f"The file is larger than the {_size(limit)} allowed.")
        return upload
