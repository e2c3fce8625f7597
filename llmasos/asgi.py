"""ASGI entry point: Django for HTTP, Channels for websockets (origin-checked, authenticated)."""

from __future__ import annotations

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise serves static files with a synchronous iterator, which Django's ASGI handler
# consumes in a thread and warns about on every file. Harmless here; production puts a proxy
# or CDN in front of /static/ anyway.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: consumers import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from llmasos.body_limit import BodyLimitASGI  # noqa: E402
from llmasos.routing import websocket_urlpatterns  # noqa: E402
from llmasos.ws_security import TokenAuthMiddleware, origin_validated  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Oversized bodies are refused before Django spools them to disk.
        "http": BodyLimitASGI(django_asgi_app),
        "websocket": origin_validated(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
