"""Signals other apps listen to, so that courses never imports them.

`lesson_changed` is sent (keyword argument `lesson`) after a lesson was created or edited
through the services or the admin; the knowledge app re-indexes the lesson's passages on it.
Deletions need no signal of their own: listeners use Django's `pre_delete` for Lesson.

`course_language_changed` is sent (keyword argument `course`) after a course's language changed:
retrieval embeds a course with its language's embedder, so the knowledge app re-embeds the
course's passages on it.
"""

from __future__ import annotations

from django.dispatch import Signal

lesson_changed = Signal()
course_language_changed = Signal()
