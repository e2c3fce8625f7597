"""Exercise lists restate questions without answering them: search ranks the explanation first.

Runs the real embedder and BM25 over an uploaded material, as a teacher's upload would be.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge.index import mostly_questions
from knowledge.search import search
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

BIGRAMS_MD = (
    b"# Counting models\n\n"
    b"## Bigram models\n\n"
    b"A bigram model estimates the probability of each word given only the previous word. "
    b"It is trained by counting how often each pair of words occurs in a corpus and dividing "
    b"by how often the first word occurs.\n\n"
    b"## Smoothing\n\n"
    b"Unseen pairs get probability zero, so counts are smoothed by adding one to every pair.\n\n"
    b"## Check your understanding\n\n"
    b"1. What does a bigram model estimate, and from what counts?\n"
    b"2. Why does a bigram model need smoothing?\n"
    b"3. What probability does a bigram model give to an unseen pair of words?\n"
)


@pytest.fixture
def material(kb_dirs, teacher, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(teacher).post(
            reverse("api-materials", args=[course.slug]),
            {"file": SimpleUploadedFile("bigrams.md", BIGRAMS_MD)},
            format="multipart",
        )
    return course


def test_the_section_that_explains_ranks_above_the_exercises_that_ask(material):
    hits = search(course_id=material.pk, query="What does a bigram model estimate?", k=3)
    assert hits[0].chunk.heading == "Bigram models"
    # The exercises are still found: ranked lower, not hidden.
    assert "Check your understanding" in [hit.chunk.heading for hit in hits]


def test_a_passage_is_mostly_questions_when_half_its_sentences_ask():
    assert mostly_questions("1. What is a bigram?\n2. Why smooth?\n3. Count the pairs.")
    assert not mostly_questions("Is it fast? Yes. It counts pairs. Then it divides them.")
    assert not mostly_questions("Why does it work?")  # one rhetorical question is prose
