from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "syncs"
    verbose_name = "YouTube sync"

    def ready(self):
        from core.tasks_reaper import register
        from syncs.changesets.reaping import PUSH_TASK_PATH, ChangeSetPushHandler

        register(PUSH_TASK_PATH, ChangeSetPushHandler())

        # A video's sync badge and live frame say what its change sets say (videos cannot ask).
        from syncs.changesets.selectors import video_changeset_marks
        from videos.events import video_sync_marks_register

        video_sync_marks_register(video_changeset_marks)

        # The API's edits land in the editor's draft change set, as the admin's do: videos cannot
        # import syncs, so the use cases are handed to it from here.
        import videos.api
        from syncs.changesets.edits import video_edit_in_changeset, videos_bulk_edit_in_changeset

        videos.api.record_video_edit = video_edit_in_changeset
        videos.api.record_bulk_edit = videos_bulk_edit_in_changeset
