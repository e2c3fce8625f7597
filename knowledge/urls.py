"""Material and search pages; llmasos/urls.py mounts them under courses/ next to the course's
other pages, so the addresses stay /courses/<slug>/materials/ and /courses/<slug>/search/."""

from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("<slug:slug>/materials/", views.material_list, name="materials"),
    path(
        "<slug:slug>/materials/<int:material_id>/delete/",
        views.material_delete,
        name="material_delete",
    ),
    path(
        "<slug:slug>/materials/<int:material_id>/file/",
        views.material_file,
        name="material_file",
    ),
    path("<slug:slug>/search/", views.course_search, name="search"),
]
