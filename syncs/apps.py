from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "syncs"
    verbose_name = "YouTube sync"

    def ready(self):
        from core.tasks_reaper import register
        from syncs.changesets.reaping import PUSH_TASK_PATH, ChangeSetPushHandler

        register(PUSH_TASK_PATH, ChangeSetPushHandler())

        from syncs.services.reports_pull import PULL_TASK_PATH, ReportsPullHandler

        register(PULL_TASK_PATH, ReportsPullHandler())

        # A video's sync badge and live frame say what its change sets say (videos cannot ask).
        from syncs.changesets.selectors import video_changeset_marks
        from videos.events import video_sync_marks_register

        video_sync_marks_register(video_changeset_marks)
