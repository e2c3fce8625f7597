from django.urls import path

from tutor.consumers import TutorConsumer

websocket_urlpatterns = [
    path("ws/courses/<slug:slug>/tutor/", TutorConsumer.as_asgi()),
]
