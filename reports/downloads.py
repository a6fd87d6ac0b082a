"""Streamed CSV downloads that stay streamed under both servers (uvicorn's ASGI, WSGI in tests)."""

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.http import HttpRequest, StreamingHttpResponse


async def _chunks_from_a_thread(chunks: Iterator[str]) -> AsyncIterator[str]:
    # thread_sensitive: every chunk is read on the request's own thread, the one holding its
    # database connection (and the server-side cursor that .iterator() keeps open on PostgreSQL).
    next_chunk = sync_to_async(lambda: next(chunks, None), thread_sensitive=True)
    while (chunk := await next_chunk()) is not None:
        yield chunk


def csv_download(*, request: HttpRequest, chunks: Iterator[str], filename: str) -> StreamingHttpResponse:
    """A CSV attachment streamed chunk by chunk, never read whole into memory.

    Under ASGI Django reads a plain iterator with list() before sending a byte (and warns
    "StreamingHttpResponse must consume synchronous iterators"), so there the chunks are pulled one
    at a time in a thread instead; under WSGI (tests, manage.py runserver) the iterator is served as is.
    """
    # An ASGI request carries its scope; so does a DRF Request, which hands attributes through.
    served_by_asgi = getattr(request, "scope", None) is not None
    content = _chunks_from_a_thread(iter(chunks)) if served_by_asgi else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
