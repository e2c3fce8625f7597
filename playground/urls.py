from django.urls import path

from playground import views

app_name = "playground"

urlpatterns = [
    path("", views.playground, name="index"),
    path("snippets/", views.snippet_save, name="snippet_save"),
    path("snippets/<int:snippet_id>/", views.snippet_detail, name="snippet"),
    path("snippets/<int:snippet_id>/delete/", views.snippet_delete, name="snippet_delete"),
]
