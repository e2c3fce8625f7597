from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lti.registration import registration_url_make


class Command(BaseCommand):
    help = "Print a Dynamic Registration URL to paste into an LMS (valid LTI_REGISTRATION_DAYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "base_url", help="This site's public address, e.g. https://llmasos.school.edu"
        )
        parser.add_argument("--name", default="LLMasOS", help="The tool's name shown in the LMS.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(registration_url_make(base_url=options["base_url"], name=options["name"]))
