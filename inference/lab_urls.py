from django.urls import path

from inference import lab_api

urlpatterns = [path("<slug:name>", lab_api.operation, name="lab-operation")]
