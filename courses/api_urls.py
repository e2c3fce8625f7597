from django.urls import path

from courses import api

urlpatterns = [
    path("courses/", api.CourseCollectionApi.as_view(), name="api-courses"),
    path("courses/<slug:slug>/", api.CourseDetailApi.as_view(), name="api-course"),
    path("courses/<slug:slug>/publish/", api.CoursePublishApi.as_view(), name="api-course-publish"),
    path("courses/<slug:slug>/enroll/", api.CourseEnrollApi.as_view(), name="api-course-enroll"),
    path(
        "courses/<slug:slug>/students/", api.CourseStudentsApi.as_view(), name="api-course-students"
    ),
    path("courses/<slug:slug>/modules/", api.ModuleCreateApi.as_view(), name="api-modules"),
    path("courses/<slug:slug>/lessons/", api.LessonCollectionApi.as_view(), name="api-lessons"),
    path(
        "courses/<slug:slug>/lessons/<slug:lesson_slug>/",
        api.LessonDetailApi.as_view(),
        name="api-lesson",
    ),
]
