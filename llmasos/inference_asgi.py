"""The ASGI app of `manage.py serve_inference`: Django with the service's own URLs
(llmasos.inference_urls) and none of the site's middleware (settings, INFERENCE_SERVER), plus
the body limit; no websockets. It starts loading the generation model at import, so the
service is ready before anyone asks and /v1/health can say when."""

from __future__ import annotations

import os

# Whoever starts this module means the service: its URLs and settings, even without the
# command (which sets the variable too).
os.environ["INFERENCE_SERVER"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from inference.openai_api import start_loading  # noqa: E402
from llmasos.body_limit import BodyLimitASGI  # noqa: E402

# Oversized bodies are refused before Django spools them, as on the site.
application = BodyLimitASGI(django_asgi_app)

start_loading()
