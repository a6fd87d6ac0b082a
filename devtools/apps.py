from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Installed only for its management commands (youtube_emulator, load_demo); it has no models."""

    name = "devtools"
    verbose_name = "Development tools"
