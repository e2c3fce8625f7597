from django.urls import path

from grading import api

urlpatterns = [
    path(
        "courses/<slug:slug>/assignments/",
        api.AssignmentListApi.as_view(),
        name="api-assignments",
    ),
    path("courses/<slug:slug>/gradebook/", api.GradebookApi.as_view(), name="api-gradebook"),
    path(
        "assignments/<int:assignment_id>/", api.AssignmentDetailApi.as_view(), name="api-assignment"
    ),
    path(
        "assignments/<int:assignment_id>/submissions/",
        api.SubmissionListApi.as_view(),
        name="api-submissions",
    ),
    path(
        "assignments/<int:assignment_id>/regrade/",
        api.AssignmentRegradeApi.as_view(),
        name="api-assignment-regrade",
    ),
    path(
        "submissions/<int:submission_id>/", api.SubmissionDetailApi.as_view(), name="api-submission"
    ),
    path(
        "submissions/<int:submission_id>/review/",
        api.SubmissionReviewApi.as_view(),
        name="api-submission-review",
    ),
    path(
        "submissions/<int:submission_id>/regrade-request/",
        api.RegradeRequestApi.as_view(),
        name="api-regrade-request",
    ),
]
