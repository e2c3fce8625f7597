from django.urls import path

from tutor import views

app_name = "tutor"

urlpatterns = [
    path("<slug:slug>/tutor/", views.course_tutor, name="course"),
    path("<slug:slug>/tutor/ask/", views.ask, name="ask"),
    path("<slug:slug>/tutor/insights/", views.insights, name="insights"),
    path(
        "<slug:slug>/tutor/c/<int:conversation_id>/", views.conversation_detail, name="conversation"
    ),
    path("<slug:slug>/tutor/messages/<int:message_id>/rate/", views.message_rate, name="rate"),
]
