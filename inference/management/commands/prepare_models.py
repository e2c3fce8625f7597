from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from inference.model_files import ModelUnavailable, embedding_model_dir, generation_model_dir


class Command(BaseCommand):
    help = (
        "Make the packaged models ready: dequantise the SmolLM2 GGUF into var/models once "
        "(~25 s the first time, instant after) and check the embedder is installed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            generation = generation_model_dir()
            embedding = embedding_model_dir()
        except ModelUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Generation model: {generation}")
        self.stdout.write(f"Embedding model:  {embedding}")
        self.stdout.write(f"Ready in {time.monotonic() - started:.1f} s")
