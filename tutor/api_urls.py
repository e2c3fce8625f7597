from django.urls import path

from tutor import api

urlpatterns = [
    path(
        "courses/<slug:slug>/tutor/conversations/",
        api.ConversationListApi.as_view(),
        name="api-tutor-conversations",
    ),
    path(
        "tutor/conversations/<int:conversation_id>/",
        api.ConversationDetailApi.as_view(),
        name="api-tutor-conversation",
    ),
    path(
        "tutor/messages/<int:message_id>/rating/",
        api.MessageRatingApi.as_view(),
        name="api-tutor-rating",
    ),
    path("tutor/quota/", api.QuotaApi.as_view(), name="api-tutor-quota"),
]
