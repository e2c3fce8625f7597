from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("new/", views.course_create, name="create"),
    path("<slug:slug>/", views.course_detail, name="detail"),
    path("<slug:slug>/edit/", views.course_edit, name="edit"),
    path("<slug:slug>/publish/", views.course_publish, name="publish"),
    path("<slug:slug>/enroll/", views.course_enroll, name="enroll"),
    path("<slug:slug>/unenroll/", views.course_unenroll, name="unenroll"),
    path("<slug:slug>/students/", views.course_students, name="students"),
    path("<slug:slug>/announcements/", views.announcement_create, name="announce"),
    path("<slug:slug>/modules/new/", views.module_create, name="module_create"),
    path("<slug:slug>/modules/<int:module_id>/edit/", views.module_edit, name="module_edit"),
    path("<slug:slug>/lessons/new/", views.lesson_create, name="lesson_create"),
    path("<slug:slug>/preview/", views.markdown_preview, name="markdown_preview"),
    path("<slug:slug>/lessons/<slug:lesson_slug>/edit/", views.lesson_edit, name="lesson_edit"),
    path(
        "<slug:slug>/lessons/<slug:lesson_slug>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
]
