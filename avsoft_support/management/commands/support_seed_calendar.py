"""Fill the production calendar (Support, Calendar) for a year from the holidays library."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...production_calendar import seed_year


class Command(BaseCommand):
    help = (
        "Add a year's Russian holidays, transferred days off and working Saturdays to the "
        "calendar that first-response targets count working time on. Dates already in the "
        "calendar (entered or corrected by staff) are left as they are. Without --year: this "
        "year and the next."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help="The year to add; give it more than once for several years.",
        )

    def handle(self, *args, years=None, **options):
        if not years:
            this_year = timezone.localdate().year
            years = [this_year, this_year + 1]
        for year in years:
            result = seed_year(year)
            self.stdout.write(
                f"{result.year}: {result.added} day(s) added, "
                f"{result.kept} already in the calendar kept as they are."
            )
