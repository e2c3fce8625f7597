from django.urls import path

from inference import openai_api

urlpatterns = [
    path("health", openai_api.health, name="v1-health"),
    path("models", openai_api.models, name="v1-models"),
    path("chat/completions", openai_api.chat_completions, name="v1-chat-completions"),
    path("embeddings", openai_api.embeddings, name="v1-embeddings"),
]
