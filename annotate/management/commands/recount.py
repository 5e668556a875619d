"""manage.py recount [--check] [--only network|overview]: check the counts the database keeps
for the analysis pages against a full recount, or rebuild them from it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.analysis import recount


class Command(BaseCommand):
    help = (
        "Check (--check) or rebuild the counts the database keeps for the analysis pages: "
        "the networks' and stance map's (network) and the corpus overview's (overview). "
        "Triggers keep them equal to a recount; a difference means a write went around "
        "them (a migration or restore with triggers off, old code during a rolling "
        "deploy). --check writes nothing and exits with status 1 if a table differs. "
        "Rebuilding locks the table: claim writes wait until it is done (about a minute "
        "at two million claims)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare with a recount and report; write nothing.",
        )
        parser.add_argument(
            "--only",
            choices=sorted(recount.KEPT),
            action="append",
            default=[],
            help="Only this table (repeatable; default: all of them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["only"] or list(recount.KEPT)
        off = []
        for name in names:
            kept = recount.KEPT[name]
            began = time.perf_counter()
            if options["check"]:
                found = recount.drift(kept)
                took = time.perf_counter() - began
                if found.ok:
                    self.stdout.write(f"{name} counts: equal to a recount ({took:.1f} s).")
                else:
                    off.append(name)
                    self.stdout.write(
                        f"{name} counts: {found.wrong} kept rows wrong or extra, "
                        f"{found.missing} missing or wrong ({took:.1f} s). "
                        f"Rebuild them with: manage.py recount --only {name}"
                    )
                continue
            self.stdout.write(f"{name} counts: rebuilding…")
            written = recount.rebuild(kept)
            took = time.perf_counter() - began
            self.stdout.write(f"{name} counts: rebuilt, {written} rows in {took:.1f} s.")
        if off:
            raise CommandError(f"Counts differ from a recount: {', '.join(off)}.", returncode=1)
