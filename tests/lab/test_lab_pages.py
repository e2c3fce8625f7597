"""The lab's pages: each instrument's result, limits, bad input, wrong role and method."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from knowledge.models import Chunk

PAGES = ["lab:index", "lab:tokenizer", "lab:next_token", "lab:attention", "lab:embeddings"]


@pytest.mark.parametrize("name", [*PAGES, "lab:speed", "lab:exercise"])
def test_it_sends_visitors_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_shows_its_form_without_asking_the_model(signed_in, lab_double, name):
    response = signed_in.get(reverse(name))
    assert response.status_code == 200
    assert [op for op, _ in lab_double.calls if op != "model_shape"] == []


@pytest.mark.parametrize("name", ["lab:tokenizer", "lab:next_token", "lab:attention"])
def test_it_rejects_post(signed_in, lab_double, name):
    assert signed_in.post(reverse(name)).status_code == 405


def test_tokenizer_counts_and_compares_two_texts(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:tokenizer"), {"text": "one two three", "compare": "un deux"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 tokens" in page and "2 tokens" in page
    assert "the first text costs 3 tokens, the second 2" in page
    assert "Ġtwo" in page  # the byte-level piece, in the table


def test_tokenizer_refuses_empty_and_too_long_text(signed_in, lab_double):
    assert signed_in.get(reverse("lab:tokenizer"), {"text": "   "}).status_code == 400
    response = signed_in.get(reverse("lab:tokenizer"), {"text": "a" * 1001})
    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()
    assert lab_double.calls == []


def test_htmx_gets_only_the_result_fragment(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:tokenizer"), {"text": "one two"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "2 tokens" in page
    assert "<html" not in page and "<form" not in page


def test_next_token_lists_candidates_with_their_logits_for_the_sliders(signed_in, lab_double):
    response = signed_in.get(reverse("lab:next_token"), {"prompt": "The capital of France is"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Paris" in page and "London" in page
    assert '"rest_logsumexp": 4.0' in page  # the JSON the sliders redraw from
    # Choosing a token appends it: a plain form button, so it works without JavaScript.
    assert 'value="The capital of France is Paris"' in page


def test_next_token_refuses_a_prompt_over_the_token_limit(signed_in, lab_double, settings):
    settings.LAB_MAX_TOKENS = 3
    response = signed_in.get(reverse("lab:next_token"), {"prompt": "one two three four"})
    assert response.status_code == 400
    assert "4 tokens long; the lab takes at most 3 tokens" in response.content.decode()
    assert [op for op, _ in lab_double.calls] == ["count_tokens"]


def test_sampling_20_times_shows_the_spread(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:next_token"),
        {
            "prompt": "The capital is",
            "temperature": "0.8",
            "top_k": "10",
            "top_p": "0.9",
            "sample": "20",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Paris.</code>: 15 times" in page and "London.</code>: 5 times" in page
    sample_call = next(params for op, params in lab_double.calls if op == "sample")
    assert sample_call["count"] == 20 and sample_call["temperature"] == 0.8


def test_sampling_refuses_out_of_range_settings(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:next_token"),
        {"prompt": "x", "temperature": "5", "top_k": "10", "top_p": "0.9", "sample": "20"},
    )
    assert response.status_code == 400


def test_attention_shows_a_heatmap_with_tokens_on_both_axes(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:attention"), {"text": "the cat sat", "layer": "2", "head": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "average of the 3 heads" in page
    assert page.count('class="col-token"') == 3
    # Row " sat" gives a third to each of the three tokens.
    assert '<th scope="row"> sat</th><td class="w3">.33</td>' in page


def test_attention_refuses_a_layer_or_head_the_model_lacks(signed_in, lab_double):
    for params in ({"layer": "4"}, {"layer": "1", "head": "3"}, {"layer": "x"}):
        response = signed_in.get(reverse("lab:attention"), {"text": "the cat", **params})
        assert response.status_code == 400
    assert "attention" not in [op for op, _ in lab_double.calls]


def test_embeddings_map_words_and_lists_neighbours(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:embeddings"), {"words": "king, queen\napple", "query": "prince"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nearest neighbours of “prince”" in page
    assert "king" in page and "apple" in page


def _passage(course, text="Attention mixes values."):
    lesson = course.lessons.first()
    vector = [0.0] * 384
    vector[3] = 1.0
    import numpy as np

    return Chunk.objects.create(
        course=course,
        lesson=lesson,
        ordinal=0,
        text=text,
        heading="Dot products",
        vector=np.asarray(vector, dtype=np.float32).tobytes(),
    )


def test_embeddings_include_the_passages_of_a_course_the_student_takes(
    client, enrolled_student, course, lab_double
):
    _passage(course)
    client.force_login(enrolled_student)
    response = client.get(reverse("lab:embeddings"), {"course": course.pk, "query": "values"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Queries and keys · Dot products" in page


def test_embeddings_refuse_the_passages_of_a_course_the_student_does_not_take(
    signed_in, course, lab_double
):
    _passage(course)
    response = signed_in.get(reverse("lab:embeddings"), {"course": course.pk})
    assert response.status_code == 400
    assert "Dot products" not in response.content.decode()


def test_embeddings_refuse_too_many_words(signed_in, lab_double):
    words = ", ".join(f"w{i}" for i in range(21))
    assert signed_in.get(reverse("lab:embeddings"), {"words": words}).status_code == 400


def test_speed_is_measured_on_post_at_most_once_per_cool_down(signed_in, lab_double):
    assert "Measure" in signed_in.get(reverse("lab:speed")).content.decode()
    response = signed_in.post(reverse("lab:speed"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "160.0" in page  # batch of 8
    assert "45.0\xa0KB per token" in page
    again = signed_in.post(reverse("lab:speed"))
    assert again.status_code == 429
    assert "One speed measurement per 30 s" in again.content.decode()


def test_calls_over_the_rate_are_refused(signed_in, lab_double, settings, one_clock_minute):
    settings.LAB_CALLS_PER_MINUTE = 2
    for _ in range(2):
        assert signed_in.get(reverse("lab:tokenizer"), {"text": "hi"}).status_code == 200
    response = signed_in.get(reverse("lab:tokenizer"), {"text": "hi"})
    assert response.status_code == 429
    assert "2 lab requests this minute" in response.content.decode()


def test_lab_calls_are_charged_to_the_question_budget(signed_in, student, lab_double, settings):
    settings.LAB_CALLS_PER_QUESTION = 2
    settings.TUTOR_QUOTA_QUESTIONS = 1
    # Calls 1-2 cost the one question; call 3 needs a second.
    for _ in range(2):
        assert signed_in.get(reverse("lab:tokenizer"), {"text": "hi"}).status_code == 200
    response = signed_in.get(reverse("lab:tokenizer"), {"text": "hi"})
    assert response.status_code == 429
    assert "no AI questions left" in response.content.decode()


def test_teachers_are_not_charged(client, teacher, lab_double, settings):
    settings.LAB_CALLS_PER_QUESTION = 1
    settings.TUTOR_QUOTA_QUESTIONS = 1
    client.force_login(teacher)
    for _ in range(3):
        assert client.get(reverse("lab:tokenizer"), {"text": "hi"}).status_code == 200


def test_a_model_failure_says_so_and_refunds_the_question(
    signed_in, student: User, lab_double, settings
):
    from assist.budget import budget_state

    settings.LAB_CALLS_PER_QUESTION = 1
    lab_double.failing = True
    response = signed_in.get(reverse("lab:tokenizer"), {"text": "hi"})
    assert response.status_code == 503
    assert "not installed" in response.content.decode()
    assert budget_state(user=student).available == settings.TUTOR_QUOTA_QUESTIONS


def test_the_navigation_links_to_the_lab(signed_in):
    assert reverse("lab:index") in signed_in.get(reverse("dashboard")).content.decode()
