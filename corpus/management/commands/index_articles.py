"""``manage.py index_articles``: build the search entries of the articles an import left
pending (``corpus.indexing``). Idempotent: it does what is left, and nothing when nothing
is; run it after restoring a backup, or if the task worker was down after an import."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from corpus.services import articles_index_pending


class Command(BaseCommand):
    help = "Build the search entries of the articles an import left pending."

    def handle(self, *args: Any, **options: Any) -> None:
        done = articles_index_pending()
        self.stdout.write(f"{done} article(s) indexed for search.")
