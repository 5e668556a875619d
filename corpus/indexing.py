"""The search entries of imported articles, built after the import (issue 21).

An import (``corpus.services.articles_create_many``) stores its articles with
``search_pending`` set, so that neither PostgreSQL's GIN index nor SQLite's FTS5 table is
written row by row inside the import (that took a third of an import's time on SQLite,
two thirds on PostgreSQL). Once the import commits, ``schedule`` enqueues
``index_pending_articles`` (Django's tasks framework: in the request with the default
ImmediateBackend, on the task worker with ``TASKS_BACKEND=database``), which builds the
entries of every pending article. Until then article search finds a pending article by
a scan of the pending articles alone (``corpus.search``).

Nothing is lost if the worker stops: the task (and ``manage.py index_articles``) does
whatever is pending, in batches that commit one by one, and may run any number of times.
"""

from __future__ import annotations

import logging

from django.tasks import task

from corpus import services

logger = logging.getLogger(__name__)


@task
def index_pending_articles() -> int:
    """Build the search entries of every pending article; how many."""
    done = services.articles_index_pending()
    if done:
        logger.info("Search entries built for %d imported articles", done)
    return done


def schedule() -> None:
    """Have the pending articles indexed by a task (after an import's commit)."""
    index_pending_articles.enqueue()
