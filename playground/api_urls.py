from django.urls import path

from playground import api

urlpatterns = [path("playground/run/", api.PlaygroundRunApi.as_view(), name="api-playground-run")]
