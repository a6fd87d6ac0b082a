# One image for every ytcms process type (web, worker, scheduler); docker-compose.yml and
# docs/deploy.md choose the command. Plain on purpose: Python, the pinned requirements, the code.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=ytcms_site.settings \
    DEBUG=false \
    YTCMS_VAR_DIR=/var/lib/ytcms \
    LOG_TO_FILE=false

# pg_dump / pg_restore for the backups the scheduler takes (manage.py backup_db, ops_daily).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

COPY . .
# Static files are part of the image (WhiteNoise serves them); collectstatic needs no database.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
        ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && useradd --system --home /app ytcms \
    && mkdir -p /var/lib/ytcms && chown ytcms /var/lib/ytcms
USER ytcms

EXPOSE 8000
# The site, not uvicorn, reads X-Forwarded-For/-Proto (TRUSTED_PROXY_COUNT): hence --no-proxy-headers.
# Django answers no ASGI lifespan events: --lifespan off spares the start-up notice saying so.
CMD ["python", "-m", "uvicorn", "ytcms_site.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--no-proxy-headers", "--lifespan", "off", "--log-config", "ytcms_site/uvicorn_logging.json"]
