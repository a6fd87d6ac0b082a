import secrets

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from channels_app.authentication import api_token_issue, api_tokens_revoke
from channels_app.models import ApiToken, Channel, ContentOwner, Membership
from channels_app.selectors import (
    audit_events_visible_to,
    channel_role_of,
    channels_visible_to,
    content_owners_managed_by,
    content_owners_visible_to,
)
from channels_app.services import membership_remove, membership_save
from core.admin_scoping import NotFoundOutsideScopeMixin, StaffReadOnlyAdmin
from core.audit.models import AuditEvent
from core.pagination import EstimatedCountPaginator


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)

    # Granting access is an administrator's job: picking users means seeing every account.
    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipsSavedByServiceMixin:
    """The membership inline's rows go through channels_app.services: each change has its audit row."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            membership_remove(membership=membership, acting_user=request.user)
        for membership in memberships:
            membership_save(membership=membership, acting_user=request.user)
        formset.save_m2m()
        return memberships


class OwnerMembershipInline(MembershipInline):
    fk_name = "content_owner"
    exclude = ("channel",)


class ChannelMembershipInline(MembershipInline):
    fk_name = "channel"
    exclude = ("content_owner",)


@admin.register(ContentOwner)
class ContentOwnerAdmin(MembershipsSavedByServiceMixin, NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = ("name", "id", "created_at")
    search_fields = ("name", "id__exact")
    inlines = [OwnerMembershipInline]

    def get_queryset(self, request):
        return content_owners_visible_to(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return ("id",) if obj else ()

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or content_owners_managed_by(user=request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Channel)
class ChannelAdmin(MembershipsSavedByServiceMixin, NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = ("title", "id", "content_owner", "is_linked", "country", "video_count")
    # Only the owners of the channels the user may see, not every owner's name.
    list_filter = ("is_linked", ("content_owner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("content_owner",)
    search_fields = ("title", "id__exact")
    inlines = [ChannelMembershipInline]

    def get_queryset(self, request):
        return channels_visible_to(user=request.user).select_related("content_owner")

    def get_readonly_fields(self, request, obj=None):
        return ("id", "content_owner") if obj and not request.user.is_superuser else ()

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or channel_role_of(user=request.user, channel_id=obj.pk) == "manager"

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# How many issued forms a session remembers; more open "Add" tabs than this are not a real case.
ISSUED_FORMS_REMEMBERED = 20
ISSUED_FORMS_SESSION_KEY = "api_token_issued_forms"


class ApiTokenAddForm(forms.ModelForm):
    """The add form, with a one-time id so that posting it twice issues one key, not two.

    The key is on the page answering "Save" (a POST): reloading that page, or going back and
    saving again, posts the same form once more, which would silently make a second live token.
    """

    form_id = forms.CharField(widget=forms.HiddenInput, initial=lambda: secrets.token_urlsafe(16))
    request = None  # set per request by ApiTokenAdmin.get_form

    def clean_form_id(self):
        form_id = self.cleaned_data["form_id"]
        if form_id in self.request.session.get(ISSUED_FORMS_SESSION_KEY, []):
            raise forms.ValidationError(
                "This form was already saved and its token made; its key was shown once and is not "
                "shown again. To make another token, open “Add API token” anew."
            )
        return form_id


@admin.register(ApiToken)
class ApiTokenAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """Every staff user manages their own API tokens; superusers see and revoke everyone's.

    The key is shown once, on the page that answers "Save"; only its hash and prefix are stored.
    """

    list_display = ("name", "prefix_shown", "user", "created", "last_used", "expires_at", "state")
    list_select_related = ("user",)
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    actions = ["revoke"]
    ordering = ("-created",)
    autocomplete_fields = ("user",)

    @admin.display(description="key starts with")
    def prefix_shown(self, token):
        return f"{token.prefix}…"

    @admin.display(description="state")
    def state(self, token):
        if token.revoked_at:
            return "revoked"
        if token.expires_at and token.expires_at <= timezone.now():
            return "expired"
        return "live"

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            # A superuser may make a token for another account (e.g. an integration's user).
            fields = ("user", "name", "expires_at") if request.user.is_superuser else ("name", "expires_at")
            return (*fields, "form_id")
        return ("name", "user", "prefix_shown", "created", "last_used", "expires_at", "revoked_at", "state")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "prefix_shown", "created", "last_used", "expires_at", "revoked_at", "state")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.request = request  # the class is made anew for each call
            if "user" in form.base_fields:
                form.base_fields["user"].initial = request.user.pk
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        if not request.user.is_superuser or not obj.user_id:
            obj.user = request.user
        # Kept on this instance for response_add only. Not a message: messages travel in a signed
        # but unencrypted cookie (and sit in the session when it is too big), where the browser,
        # proxies and logs would keep the key.
        obj.issued_key = api_token_issue(token=obj)
        issued = request.session.get(ISSUED_FORMS_SESSION_KEY, [])
        request.session[ISSUED_FORMS_SESSION_KEY] = [*issued, form.cleaned_data["form_id"]][
            -ISSUED_FORMS_REMEMBERED:
        ]

    def response_add(self, request, obj, post_url_continue=None):
        """Answer "Save" with the new key on the page itself, never again after."""
        key = getattr(obj, "issued_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "Your new API key",
            "opts": self.opts,
            "token": obj,
            "key": key,
        }
        response = TemplateResponse(request, "admin/channels_app/apitoken/key_issued.html", context)
        # Not kept by the browser's cache or back/forward cache, nor by a proxy.
        add_never_cache_headers(response)
        return response

    # Users handle their own tokens whatever their role group; get_queryset keeps them to theirs.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self._owns(request, obj)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Revoke instead: a revoked token keeps its history (who, when, last used).
        return request.user.is_superuser

    def _owns(self, request, obj) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or request.user.is_superuser or obj.user_id == request.user.pk

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = api_tokens_revoke(tokens=list(queryset), user=request.user)
        self.message_user(
            request, f"Revoked {count:,} token(s); they stop working at once.", messages.SUCCESS
        )


@admin.register(AuditEvent)
class AuditEventAdmin(StaffReadOnlyAdmin):
    """The audit log, read-only: nobody adds, changes or deletes a row, superusers included.

    Every staff user reads it (as the push records); audit_events_visible_to decides which rows.
    """

    list_display = ("created_at", "event_type", "actor", "object_type", "object_id", "object_repr")
    list_filter = ("event_type", "object_type")
    list_select_related = ("acting_user",)
    search_fields = ("object_id__exact",)
    search_help_text = "An object's id: a video id, a change set's number."
    show_full_result_count = False
    # The log grows with every write: a COUNT(*) of millions of rows per page view is not free.
    paginator = EstimatedCountPaginator
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "event_type",
        "actor",
        "content_owner_id",
        "channel_id",
        "object_type",
        "object_id",
        "object_repr",
        "old",
        "new",
        "extra",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return audit_events_visible_to(user=request.user)
