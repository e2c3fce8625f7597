from django.urls import path

from assist import api

urlpatterns = [
    path("courses/<slug:slug>/ai-policy/", api.CourseAIPolicyApi.as_view(), name="api-ai-policy"),
    path("courses/<slug:slug>/ai-notice/", api.CourseAINoticeApi.as_view(), name="api-ai-notice"),
    path("courses/<slug:slug>/exams/", api.ExamWindowCollectionApi.as_view(), name="api-exams"),
    path(
        "courses/<slug:slug>/exams/<int:exam_id>/",
        api.ExamWindowDetailApi.as_view(),
        name="api-exam",
    ),
    path("courses/<slug:slug>/ai-usage/", api.CourseAIUsageApi.as_view(), name="api-ai-usage"),
]
