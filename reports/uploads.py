"""An upload handler that refuses uploads over REPORTS_MAX_UPLOAD_BYTES while they stream in.

Django's own handlers already stream a large upload to a temporary file; this one, first in
FILE_UPLOAD_HANDLERS, stops reading as soon as the declared or received size passes the limit,
so an oversized report is never written to disk at all. The view sees
`request.upload_refused_reason` and tells the user.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0

    def _refuse(self):
        limit = settings.REPORTS_MAX_UPLOAD_BYTES
        if self.request is not None:
            self.request.upload_refused_reason = (
                f"The upload is larger than the {_size(limit)} allowed (REPORTS_MAX_UPLOAD_BYTES). "
                "Put big reports in the S3 bucket, or import them with manage.py import_report."
            )
        raise StopUpload(connection_reset=True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.REPORTS_MAX_UPLOAD_BYTES + 64 * 1024:
            self._refuse()  # the declared body is too big: do not read it
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.REPORTS_MAX_UPLOAD_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None
