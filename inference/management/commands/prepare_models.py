from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inference.model_files import (
    ModelUnavailable,
    embedding_model_dir,
    generation_model_dir,
    openvino_model_dir,
)


class Command(BaseCommand):
    help = (
        "Make the packaged models ready for the configured LLM_ENGINE: convert the SmolLM2 GGUF "
        "once into var/models (OpenVINO IR for the default engine, ~30 s; safetensors for "
        "LLM_ENGINE=transformers, ~25 s; instant after) and check the embedder is installed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if settings.LLM_ENGINE == "openvino":
                generation = openvino_model_dir()
            else:
                generation = generation_model_dir()
            embedding = embedding_model_dir()
        except ModelUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Generation model ({settings.LLM_ENGINE}): {generation}")
        self.stdout.write(f"Embedding model:  {embedding}")
        self.stdout.write(f"Ready in {time.monotonic() - started:.1f} s")
