"""The tutor's prompts in the order the engine's prefix cache can use: what a class shares
(rules, teacher's instructions, passages) first, one student's conversation and question last.

Real retrieval (the packaged embedder) builds the prompts; the scripted double answers; the
packaged model's own tokenizer counts what the prompts have in common, token by token.
"""

from __future__ import annotations

from itertools import takewhile

import pytest

from accounts.models import User
from courses import services as courses
from courses.models import Lesson
from tests.conftest import PASSWORD
from tutor.services import turn_complete, turn_start

pytestmark = pytest.mark.django_db

QUESTION = "How do several attention heads work together?"
FOLLOW_UP = "Why do attention heads work in parallel?"


@pytest.fixture(scope="module")
def tokenizer():
    import openvino_genai

    from inference.model_files import openvino_model_dir

    return openvino_genai.Tokenizer(str(openvino_model_dir()))


def prompt_ids(tokenizer, messages: list[dict[str, str]]) -> list[int]:
    import openvino_genai

    text = tokenizer.apply_chat_template(
        openvino_genai.ChatHistory(messages), add_generation_prompt=True
    )
    encoded = tokenizer.encode(text, add_special_tokens=False)
    return [int(i) for i in encoded.input_ids.data[0]]


def shared(a: list[int], b: list[int]) -> int:
    return sum(1 for _ in takewhile(lambda pair: pair[0] == pair[1], zip(a, b, strict=False)))


def test_classmates_and_follow_ups_share_the_long_prefix(
    tutor_course, enrolled_student, scripted, tokenizer
):
    classmate = User.objects.create_user("carol", password=PASSWORD, role="student")
    courses.enrollment_create(user=classmate, course=tutor_course)
    lesson = Lesson.objects.get(course=tutor_course, slug="multi-head")

    first = turn_complete(
        turn_start(user=enrolled_student, course=tutor_course, text=QUESTION, lesson=lesson)
    )
    turn_complete(turn_start(user=classmate, course=tutor_course, text=QUESTION, lesson=lesson))
    turn_complete(
        turn_start(
            user=enrolled_student,
            course=tutor_course,
            text=FOLLOW_UP,
            conversation_id=first.conversation_id,
        )
    )
    alice, carol, follow_up = (prompt_ids(tokenizer, m) for m in scripted.calls)
    assert len(scripted.calls[2]) == 4  # system, first question, its answer, the follow-up

    # The passages sit in the part two classmates share: all but the last few tokens.
    system = scripted.calls[0][0]["content"]
    material = scripted.calls[0][1]["content"].split("</context>")[0]
    assert "Several attention heads run in parallel" in material
    assert shared(alice, carol) >= prompt_ids_len(tokenizer, system + material)
    # The follow-up's prompt begins with the first question's whole prompt: only the answer
    # and the new question are new to the engine.
    assert follow_up[: len(alice)] == alice
    assert len(follow_up) > len(alice)


def prompt_ids_len(tokenizer, text: str) -> int:
    return len(tokenizer.encode(text, add_special_tokens=False).input_ids.data[0])
