"""All websocket routes, gathered from each app's routing module."""

from notifications.routing import websocket_urlpatterns as notification_patterns
from playground.routing import websocket_urlpatterns as playground_patterns
from tutor.routing import websocket_urlpatterns as tutor_patterns

websocket_urlpatterns = [*notification_patterns, *tutor_patterns, *playground_patterns]
