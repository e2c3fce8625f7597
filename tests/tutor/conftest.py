from __future__ import annotations

import pytest

from courses.models import Lesson
from knowledge.ingest import lesson_ingest

ATTENTION_LESSON = """## Multi-head attention

Several attention heads run in parallel, each in its own subspace. Every head computes its
own queries, keys and values; the outputs of all heads are concatenated and projected back to
the model dimension.

## Why several heads?

One head can follow syntax while another follows meaning: several heads let the model attend
to different relations at the same time.
"""

SCALING_LESSON = """## Scaled dot products

A query is compared with every key by a dot product. The scores are divided by the square
root of the key dimension before the softmax, so that large dot products do not saturate it.
"""


@pytest.fixture
def tutor_course(kb_dirs, course):
    """The `course` fixture with real lesson text, indexed in its own knowledge base."""
    Lesson.objects.filter(course=course, slug="multi-head").update(body=ATTENTION_LESSON)
    Lesson.objects.filter(course=course, slug="queries").update(body=SCALING_LESSON)
    for lesson in course.lessons.all():
        lesson_ingest(lesson_id=lesson.pk)
    return course
