from django.contrib import admin

from channels_app.models import Channel, ContentOwner, Membership
from channels_app.selectors import (
    channel_role_of,
    channels_visible_to,
    content_owners_managed_by,
    content_owners_visible_to,
)
from ytcms_site.admin_scoping import NotFoundOutsideScopeMixin


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


class OwnerMembershipInline(MembershipInline):
    fk_name = "content_owner"
    exclude = ("channel",)


class ChannelMembershipInline(MembershipInline):
    fk_name = "channel"
    exclude = ("content_owner",)


@admin.register(ContentOwner)
class ContentOwnerAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = ("name", "id", "created_at")
    search_fields = ("name", "=id")
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
class ChannelAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = ("title", "id", "content_owner", "is_linked", "country", "video_count")
    list_filter = ("is_linked", "content_owner")
    list_select_related = ("content_owner",)
    search_fields = ("title", "=id")
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
