"""Lab instruments in lessons: the ```lab <instrument>``` directive and its exercises."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.markdown import render_markdown
from lab.forms import exercise_sign

EXERCISE = """Some text.

```lab next-token
prompt: The capital of France is
exercise: Find a prompt where "Paris" is more likely than "London".
more_likely: Paris
than: London
```
"""


def test_a_lab_fence_becomes_an_instrument_preset_by_the_lesson():
    html = render_markdown("```lab attention\ntext: The cat sat.\nlayer: 3\n```\n")
    assert 'class="lab-instrument lab-embed"' in html
    assert "The cat sat.</textarea>" in html
    assert 'name="layer" min="0" value="3"' in html
    # Without JavaScript the same form opens the instrument's own page.
    assert 'method="get" action="/lab/attention/"' in html
    assert 'hx-get="/lab/attention/"' in html


def test_the_first_instrument_brings_the_chart_scripts_once():
    html = render_markdown("```lab tokenizer\n```\n\n```lab speed\n```\n")
    assert html.count("js/lab.js") == 1
    assert html.count("chart.umd.min.js") == 1
    assert 'hx-post="/lab/speed/"' in html


def test_presets_are_escaped():
    html = render_markdown("```lab next-token\nprompt: </textarea><script>alert(1)</script>\n```\n")
    assert "<script>alert" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html


def test_an_unknown_instrument_is_named_for_the_teacher():
    html = render_markdown("```lab microscope\n```\n")
    assert "No lab instrument is called “microscope”" in html
    assert "next-token" in html


def test_other_fences_stay_code_and_text_cannot_forge_a_placeholder():
    html = render_markdown("```python\nprint(1)\n```\n\nllmasos-directive-00-0\n")
    assert '<code class="language-python">' in html
    assert "llmasos-directive-00-0" in html
    assert "lab-instrument" not in html


def test_an_exercise_carries_its_goal_signed():
    html = render_markdown(EXERCISE)
    assert "Find a prompt where &quot;Paris&quot; is more likely" in html
    assert 'name="exercise" value="' in html
    assert 'hx-get="/lab/next-token/exercise/"' in html


@pytest.fixture
def exercise_value():
    return exercise_sign(
        {"exercise": "Paris over London", "more_likely": "Paris", "than": "London"}
    )


def test_an_exercise_passes_when_the_prompt_makes_the_word_more_likely(
    signed_in, lab_double, exercise_value
):
    response = signed_in.get(
        reverse("lab:exercise"), {"exercise": exercise_value, "prompt": "The capital of France is"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "✓ Well done: P(Paris) = 60.00%, P(London) = 10.00%." in page
    asked = [p["continuations"] for op, p in lab_double.calls if op == "token_probabilities"]
    assert asked == [[" Paris", " London"]]


def test_an_exercise_fails_when_it_does_not(signed_in, lab_double, exercise_value):
    response = signed_in.get(
        reverse("lab:exercise"), {"exercise": exercise_value, "prompt": "London is near"}
    )
    assert "✗ Not yet" in response.content.decode()


def test_a_tampered_exercise_is_refused(signed_in, lab_double, exercise_value):
    response = signed_in.get(
        reverse("lab:exercise"), {"exercise": exercise_value[:-2] + "xx", "prompt": "Paris"}
    )
    assert response.status_code == 400
    assert "This exercise is not valid" in response.content.decode()
    assert lab_double.calls == []


def test_the_lesson_page_shows_the_instrument(client, enrolled_student, course):
    from courses.models import Lesson

    lesson = Lesson.objects.get(slug="values")
    lesson.body = EXERCISE
    lesson.save()
    client.force_login(enrolled_student)
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert "Lab · Next token" in page
    assert "Check my prompt" in page


def test_the_llm_course_embeds_the_matching_instruments(db):
    from courses.demo import demo_load
    from courses.models import Lesson

    demo_load()
    expected = {
        "tokens-and-embeddings": ["Lab · Tokenizer", "Lab · Embeddings"],
        "self-attention": ["Lab · Attention"],
        "decoding-and-sampling": ["Lab · Next token", "Check my prompt"],
        "making-inference-fast": ["Lab · Speed and memory"],
    }
    for slug, widgets in expected.items():
        lesson = Lesson.objects.get(course__slug="llm-how-they-work", slug=slug)
        html = render_markdown(lesson.body)
        for widget in widgets:
            assert widget in html, (slug, widget)


def test_the_lesson_form_tells_the_teacher_how_to_embed_an_instrument(client, teacher, course):
    client.force_login(teacher)
    page = client.get(reverse("courses:lesson_create", args=[course.slug])).content.decode()
    assert "Embed an LLM-lab instrument with a fenced block" in page
