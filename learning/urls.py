from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("<slug:slug>/path/", views.path, name="path"),
    path("<slug:slug>/practice/<int:question_id>/", views.practice, name="practice"),
    path("<slug:slug>/class/", views.class_view, name="class"),
    path("<slug:slug>/class/mastery.csv", views.class_view_csv, name="class_csv"),
    path("<slug:slug>/concepts/", views.concepts, name="concepts"),
    path("<slug:slug>/concepts/export/", views.concepts_export, name="concepts_export"),
    path("<slug:slug>/concepts/import/", views.concepts_import, name="concepts_import"),
    path("<slug:slug>/concepts/fit/", views.concepts_fit, name="concepts_fit"),
    path("<slug:slug>/concepts/<slug:concept_slug>/", views.concept_edit, name="concept_edit"),
    path(
        "<slug:slug>/concepts/<slug:concept_slug>/delete/",
        views.concept_delete,
        name="concept_delete",
    ),
    path("<slug:slug>/concepts/<slug:concept_slug>/questions/", views.questions, name="questions"),
    path(
        "<slug:slug>/concepts/<slug:concept_slug>/questions/draft/",
        views.question_draft,
        name="question_draft",
    ),
    path("<slug:slug>/questions/<int:question_id>/", views.question_edit, name="question_edit"),
    path(
        "<slug:slug>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
]
