"""The deployment files: docker-compose.yml is valid and the image's build steps succeed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


def _compose() -> dict:
    # SafeLoader resolves the x-app anchor and its `<<` merge keys the way Compose does.
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_it_validates_the_compose_file_with_the_example_env(tmp_path):
    shutil.copy(BASE_DIR / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(BASE_DIR / ".env.example", tmp_path / ".env")

    result = subprocess.run(  # noqa: S603
        ["docker-compose", "config", "-q"],  # noqa: S607
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


def test_it_runs_web_worker_beat_and_migrations_from_one_image_in_production_settings():
    services = _compose()["services"]

    assert {"postgres", "redis", "mailpit", *APP_SERVICES} <= set(services)
    assert {services[name]["image"] for name in APP_SERVICES} == {"renewdesk:latest"}
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert (
            services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        )


def test_it_starts_the_app_only_after_the_migrate_job_succeeded():
    services = _compose()["services"]

    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"] == {"condition": "service_healthy"}
    assert "setup_periodic_tasks" in " ".join(services["migrate"]["command"])
    assert "DatabaseScheduler" in " ".join(services["beat"]["command"])


def test_it_gives_every_long_running_service_a_healthcheck():
    services = _compose()["services"]

    for name in ("postgres", "redis", "mailpit", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name


def test_it_commits_placeholders_only_in_the_example_env():
    example = (BASE_DIR / ".env.example").read_text()
    values = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )

    assert values["DJANGO_SECRET_KEY"].startswith("change-me")
    assert "change-me" in values["POSTGRES_PASSWORD"]
    assert values["POSTGRES_PASSWORD"] in values["DATABASE_URL"]
    assert values["EMAIL_URL"] == "smtp://mailpit:1025"


def test_it_collects_static_files_with_the_production_manifest_storage(tmp_path):
    # The Dockerfile runs collectstatic with production settings: a stylesheet that points at
    # a missing file breaks the manifest step and with it the image build. WhiteNoise's
    # compression step (a minute and a half, it cannot fail on a missing file) is left out.
    code = (
        "import django, sys; from django.conf import settings; django.setup(); "
        "settings.STATIC_ROOT = sys.argv[1]; "
        "settings.STORAGES['staticfiles'] = {'BACKEND': "
        "'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'}; "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="build-only-placeholder",
        DJANGO_ALLOWED_HOSTS="localhost",
        DATABASE_URL=f"sqlite:///{tmp_path / 'build.sqlite3'}",
        REDIS_URL="redis://build.invalid:6379/0",
    )

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, str(tmp_path / "static")],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
