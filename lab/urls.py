from django.urls import path

from lab import views

app_name = "lab"

urlpatterns = [
    path("", views.index, name="index"),
    path("tokenizer/", views.tokenizer, name="tokenizer"),
    path("next-token/", views.next_token, name="next_token"),
    path("next-token/exercise/", views.exercise, name="exercise"),
    path("attention/", views.attention, name="attention"),
    path("embeddings/", views.embeddings, name="embeddings"),
    path("speed/", views.speed, name="speed"),
]
