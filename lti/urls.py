from django.urls import path

from lti import views

app_name = "lti"

urlpatterns = [
    path("lti/jwks/", views.jwks, name="jwks"),
    path("lti/login/", views.login, name="login"),
    path("lti/launch/", views.launch_view, name="launch"),
    path("lti/deep-link/", views.deep_link_answer, name="deep_link"),
    path("lti/enter/<str:token>/", views.enter, name="enter"),
    path("lti/register/<str:token>/", views.register, name="register"),
    path("courses/<slug:slug>/lms/", views.course_lti, name="course"),
    path("courses/<slug:slug>/lms/grades/<int:sync_id>/resend/", views.grade_resend, name="resend"),
    path(
        "courses/<slug:slug>/lms/rosters/<int:context_id>/sync/",
        views.roster_sync,
        name="roster_sync",
    ),
]
