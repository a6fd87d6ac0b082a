from django.apps import AppConfig
from django.db.backends.signals import connection_created


class VideosConfig(AppConfig):
    name = "videos"
    verbose_name = "Catalogue"

    def ready(self):
        from videos.lookups import Unaccent, register_sqlite_unaccent
        from videos.models import Video

        connection_created.connect(register_sqlite_unaccent, dispatch_uid="videos.ytcms_unaccent")
        # On these two fields only, and in place of django.contrib.postgres's `unaccent` (which
        # calls the STABLE unaccent() that no index can serve): the search's columns.
        for name in ("title", "search_keywords"):
            Video._meta.get_field(name).register_lookup(Unaccent)
