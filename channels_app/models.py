from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

# A channel id is "UC" followed by 22 characters of the URL-safe base64 alphabet (channels#id).
CHANNEL_ID_VALIDATOR = RegexValidator(
    r"^UC[A-Za-z0-9_-]{22}$", "A YouTube channel id is 'UC' followed by 22 characters."
)


class ContentOwner(models.Model):
    """A YouTube CMS content owner (a label, network or studio account)."""

    id = models.CharField(
        primary_key=True, max_length=64, help_text="The CMS content owner id (contentOwners#id)."
    )
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name or self.id


class Channel(models.Model):
    class Privacy(models.TextChoices):
        PUBLIC = "public"
        UNLISTED = "unlisted"
        PRIVATE = "private"

    id = models.CharField(primary_key=True, max_length=24, validators=[CHANNEL_ID_VALIDATOR])
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.SET_NULL, related_name="channels"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    published_at = models.DateTimeField(null=True, blank=True)
    subscriber_count = models.BigIntegerField(null=True, blank=True)
    video_count = models.BigIntegerField(null=True, blank=True)
    view_count = models.BigIntegerField(null=True, blank=True)
    privacy_status = models.CharField(max_length=10, choices=Privacy.choices, blank=True)
    is_linked = models.BooleanField(
        default=False, help_text="Linked to the content owner in YouTube CMS (status.isLinked)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title or self.id


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    MANAGER = "manager", "Manager"


# Roles that may change catalogue data; a viewer only reads.
EDITING_ROLES = (Role.EDITOR, Role.MANAGER)


class Membership(models.Model):
    """A user's role in one content owner (all its channels) or in one channel."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_owner_xor_channel",
                condition=(
                    models.Q(content_owner__isnull=False, channel__isnull=True)
                    | models.Q(content_owner__isnull=True, channel__isnull=False)
                ),
                violation_error_message="A membership is of one content owner or one channel.",
            ),
            models.UniqueConstraint(
                fields=["user", "content_owner"],
                condition=models.Q(content_owner__isnull=False),
                name="membership_unique_user_owner",
            ),
            models.UniqueConstraint(
                fields=["user", "channel"],
                condition=models.Q(channel__isnull=False),
                name="membership_unique_user_channel",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} of {self.content_owner or self.channel}"


class ApiToken(models.Model):
    """A user's key for the API: stored as a SHA-256 hash, shown once, revocable, optionally expiring.

    The key is `ytc_` and 43 random URL-safe characters (256 bits). Its first 12 characters are
    kept in clear as `prefix`: they find the row and let a person tell their tokens apart.
    An unsalted SHA-256 is enough for a random 256-bit secret; slow hashes are for passwords.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'BI export'.")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField("key (SHA-256)", max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty for a token that does not expire."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
