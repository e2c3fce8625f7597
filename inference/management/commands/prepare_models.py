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
        "Make the packaged models ready: convert the SmolLM2 GGUF once into var/models (OpenVINO "
        "IR for the default engine, ~30 s; the safetensors copy the LLM lab and "
        "LLM_ENGINE=transformers read, ~25 s; instant after) and check the embedder is installed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--engine-only",
            action="store_true",
            help="Prepare only the configured LLM_ENGINE's files, not the lab's transformers copy.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if settings.LLM_ENGINE == "openvino":
                generation = openvino_model_dir()
                # The lab reads logits and attention weights, which only a transformers copy
                # gives: converted now rather than while the first student waits on an
                # instrument.
                lab = None if options["engine_only"] else generation_model_dir()
            else:
                generation = lab = generation_model_dir()
            embedding = embedding_model_dir()
        except ModelUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Generation model ({settings.LLM_ENGINE}): {generation}")
        if lab is not None and lab != generation:
            self.stdout.write(f"Lab model (transformers): {lab}")
        self.stdout.write(f"Embedding model:  {embedding}")
        self.stdout.write(f"Ready in {time.monotonic() - started:.1f} s")
