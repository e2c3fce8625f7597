from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve the local model as an OpenAI-compatible API (/v1/chat/completions, "
        "/v1/embeddings, /v1/models) so web processes can share one model process "
        "(point them at it with LLM_BACKEND=openai LLM_BASE_URL=http://HOST:PORT/v1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "INFERENCE_SERVER": "1", "LLM_BACKEND": "local"}
        self.stdout.write(
            f"Serving the local model at http://{options['host']}:{options['port']}/v1"
        )
        # One process, one engine: uvicorn replaces this process.
        os.execvpe(  # noqa: S606 - our own interpreter with fixed arguments, no shell
            sys.executable,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "llmasos.inference_asgi:application",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--lifespan",
                "off",
                "--timeout-graceful-shutdown",
                "3",
                "--log-level",
                "warning",
            ],
            env,
        )
