"""The project's own app config: only so that ``migrate`` also creates the cache table."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # With CACHE_BACKEND=database (the production default) the cache lives in a table that
    # migrations do not make; creating it here keeps "migrate, then restart" the whole
    # upgrade. The command does nothing for other cache backends or an existing table.
    call_command("createcachetable", database=using, verbosity=0)


class ClaimdeskConfig(AppConfig):
    name = "config"
    label = "claimdesk_config"
    verbose_name = "Claimdesk configuration"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self)
