# One image for web (gunicorn), the Celery worker and Celery beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# WeasyPrint's native libraries (Pango, HarfBuzz), a CJK font so that Chinese renders in PDFs,
# and gettext for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-wqy-microhei gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. pyproject.toml declares
# no importable package: `pip install .` installs the dependencies and the code runs from /app.
COPY pyproject.toml ./
RUN pip install . && pip check

COPY . .

# Translations and static files are built into the image. These settings need their secrets
# from the environment; build-time placeholders are enough for commands that touch no database.
RUN DJANGO_SECRET_KEY=build-only-placeholder DJANGO_ALLOWED_HOSTS=localhost \
        DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://build.invalid:6379/0 \
    sh -c 'if find . -name "*.po" | grep -q .; then python manage.py compilemessages -v0; fi \
        && python manage.py collectstatic --noinput -v0' \
    && rm -f /tmp/build.sqlite3

RUN useradd --system --uid 1000 --create-home --home-dir /home/app app \
    && mkdir -p /app/media \
    && chown -R app:app /app/media
USER app

EXPOSE 8000
# gunicorn reads WEB_CONCURRENCY for its number of workers.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", \
     "--forwarded-allow-ips", "*", "--timeout", "60"]
