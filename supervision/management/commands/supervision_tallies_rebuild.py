"""`manage.py supervision_tallies_rebuild [--check]`: recount the dashboard's roll-ups
(meetings per unit and month, ledger reports per unit and period) from scratch.

The services keep them exact; this is for after bulk SQL (the bench generator) and as a
repair tool. Idempotent. `--check` only counts the cells that differ from a recount and
exits with status 1 if any do."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from supervision.tallies.services import tallies_differences, tallies_rebuild


class Command(BaseCommand):
    help = "Recount the supervision dashboard's roll-ups from the meetings and ledger reports."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="count differing cells, change nothing"
        )

    def handle(self, *args, check: bool = False, **options):
        t = time.perf_counter()
        if check:
            diff = tallies_differences()
            self.stdout.write(
                "differing cells: "
                + ", ".join(f"{k} {v}" for k, v in diff.items())
                + f" ({time.perf_counter() - t:.1f} s)"
            )
            if any(diff.values()):
                raise CommandError("roll-ups differ from a recount: run without --check")
            return
        rows = tallies_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                "rebuilt: "
                + ", ".join(f"{k} {v} rows" for k, v in rows.items())
                + f" in {time.perf_counter() - t:.1f} s"
            )
        )
