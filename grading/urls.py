from django.urls import path

from grading import views

app_name = "grading"

urlpatterns = [
    path("<slug:slug>/assignments/", views.assignment_list, name="assignments"),
    path("<slug:slug>/assignments/new/", views.assignment_create, name="assignment_create"),
    path(
        "<slug:slug>/assignments/<int:assignment_id>/", views.assignment_detail, name="assignment"
    ),
    path(
        "<slug:slug>/assignments/<int:assignment_id>/edit/",
        views.assignment_edit,
        name="assignment_edit",
    ),
    path(
        "<slug:slug>/assignments/<int:assignment_id>/submit/",
        views.submission_create,
        name="submit",
    ),
    path(
        "<slug:slug>/assignments/<int:assignment_id>/regrade/",
        views.assignment_regrade,
        name="assignment_regrade",
    ),
    path(
        "<slug:slug>/submissions/<int:submission_id>/", views.submission_detail, name="submission"
    ),
    path(
        "<slug:slug>/submissions/<int:submission_id>/status/",
        views.submission_status,
        name="submission_status",
    ),
    path(
        "<slug:slug>/submissions/<int:submission_id>/review/",
        views.submission_review,
        name="review",
    ),
    path(
        "<slug:slug>/submissions/<int:submission_id>/regrade/",
        views.submission_regrade,
        name="regrade",
    ),
    path(
        "<slug:slug>/submissions/<int:submission_id>/regrade-request/",
        views.submission_regrade_request,
        name="regrade_request",
    ),
    path(
        "<slug:slug>/assignments/<int:assignment_id>/facts/approve/",
        views.assignment_facts_approve,
        name="facts_approve",
    ),
    path(
        "<slug:slug>/assignments/<int:assignment_id>/wrong-claims/draft/",
        views.assignment_wrong_claims_draft,
        name="wrong_claims_draft",
    ),
    path("<slug:slug>/review/", views.review_queue, name="review_queue"),
    path("<slug:slug>/grading-settings/", views.grading_settings, name="grading_settings"),
    path("<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("<slug:slug>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
]
