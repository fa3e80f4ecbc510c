"""Fold the buffered engagement events into the roll-ups now (what the periodic job
`interaction.engagement_fold` does every minute)."""

from django.core.management.base import BaseCommand

from interaction.engagement.fold import fold


class Command(BaseCommand):
    help = "把缓冲区中的阅读、点赞、分享事件汇总进日汇总表"

    def add_arguments(self, parser):
        parser.add_argument("--max-batches", type=int, default=None)

    def handle(self, *args, max_batches=None, **options):
        result = fold(max_batches=max_batches)
        self.stdout.write(
            f"folded {result.events} events in {result.batches} batches "
            f"({result.skipped_batches} already folded, {result.malformed} malformed) "
            f"in {result.seconds:.2f} s"
        )
