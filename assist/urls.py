from django.urls import path

from assist import views

app_name = "assist"

urlpatterns = [
    path("courses/<slug:slug>/ai/", views.ai_settings, name="settings"),
    path("courses/<slug:slug>/ai/policy/", views.policy_set, name="policy_set"),
    path("courses/<slug:slug>/ai/exams/", views.exam_create, name="exam_create"),
    path(
        "courses/<slug:slug>/ai/exams/<int:exam_id>/delete/",
        views.exam_delete,
        name="exam_delete",
    ),
    path("courses/<slug:slug>/ai/usage/", views.course_usage, name="usage"),
    path("courses/<slug:slug>/ai/usage.csv", views.course_usage_csv, name="usage_csv"),
    path("my/ai-usage/", views.my_usage, name="my_usage"),
    path("my/ai-usage/accept/", views.notice_accept, name="notice_accept"),
]
