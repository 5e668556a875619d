"""The project's own app config: ``migrate`` also creates the cache table; workers give
back the memory a big request or task used (``common.memory``) and run the SQLite
checkpoint a big import left (``common.checkpoint``) once the answer has gone."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished
from django.db.models.signals import post_migrate
from django.tasks.signals import task_finished

from common import checkpoint, memory


def _create_cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # With CACHE_BACKEND=database (the production default) the cache lives in a table that
    # migrations do not make; creating it here keeps "migrate, then restart" the whole
    # upgrade. The command does nothing for other cache backends or an existing table.
    call_command("createcachetable", database=using, verbosity=0)


def _release_memory(sender: Any, **kwargs: Any) -> None:
    memory.release(settings.CLAIMDESK_MEMORY_RELEASE_MB, settings.CLAIMDESK_WORKER_RECYCLE_MB)


class ClaimdeskConfig(AppConfig):
    name = "config"
    label = "claimdesk_config"
    verbose_name = "Claimdesk configuration"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self)
        # SQLite: the checkpoint a big import's COMMIT left, after the answer.
        request_finished.connect(checkpoint.run_deferred, dispatch_uid="claimdesk-checkpoint")
        task_finished.connect(checkpoint.run_deferred, dispatch_uid="claimdesk-checkpoint")
        if settings.CLAIMDESK_MEMORY_RELEASE_MB > 0:
            memory.release(settings.CLAIMDESK_MEMORY_RELEASE_MB)  # notes the RSS at start
            request_finished.connect(_release_memory, dispatch_uid="claimdesk-release-memory")
            task_finished.connect(_release_memory, dispatch_uid="claimdesk-release-memory")
