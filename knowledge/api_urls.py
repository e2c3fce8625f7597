from django.urls import path

from knowledge import api

urlpatterns = [
    path(
        "courses/<slug:slug>/materials/", api.MaterialCollectionApi.as_view(), name="api-materials"
    ),
    path("materials/<int:material_id>/", api.MaterialDetailApi.as_view(), name="api-material"),
    path("courses/<slug:slug>/search/", api.CourseSearchApi.as_view(), name="api-search"),
    path("courses/<slug:slug>/ask/", api.CourseAskApi.as_view(), name="api-ask"),
]
