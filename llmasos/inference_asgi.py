"""The ASGI app of `manage.py serve_inference`: the platform's app (with /v1 mounted, as the
command sets INFERENCE_SERVER) that starts loading the generation model at import, so the
service is ready before anyone asks and /v1/health can say when."""

from __future__ import annotations

from inference.openai_api import start_loading
from llmasos.asgi import application

__all__ = ["application"]

start_loading()
