"""The portal's URLs. Its lesson page keeps its old name, `courses:lesson`: `llmasos/urls.py`
serves `course_patterns` inside the `courses` namespace, after the courses app's own patterns
(so `lessons/new/` still wins over a lesson called "new")."""

from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
]

# Mounted under /courses/ in the `courses` namespace by llmasos/urls.py.
course_patterns = [
    path("<slug:slug>/lessons/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
]
