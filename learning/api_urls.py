from django.urls import path

from learning import api

urlpatterns = [
    path("courses/<slug:slug>/path/", api.PathApi.as_view(), name="api-learning-path"),
    path("courses/<slug:slug>/class/", api.ClassViewApi.as_view(), name="api-learning-class"),
    path("courses/<slug:slug>/concepts/", api.ConceptsApi.as_view(), name="api-learning-concepts"),
    path(
        "practice/<int:question_id>/answers/",
        api.PracticeAnswerApi.as_view(),
        name="api-practice-answer",
    ),
]
