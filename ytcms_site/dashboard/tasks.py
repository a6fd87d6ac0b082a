"""Background tasks of the admin dashboard (django.tasks, queue "default")."""

from django.contrib.auth import get_user_model
from django.tasks import task

from ytcms_site.dashboard.selectors import catalogue_refresh_queued


@task()
def dashboard_refresh_task(*, user_id: int, scope: str) -> dict:
    """Recount a scope's catalogue figures that a request found stale (selectors._catalogue_figures).

    The scope is a digest of memberships, which cannot be turned back into them; the user who
    found the figures stale has exactly that scope, so the count is made as that user.
    """
    user = get_user_model().objects.filter(pk=user_id).first()
    return {"scope": scope, "status": catalogue_refresh_queued(user=user, scope=scope)}
