"""The tutor in a Chinese course: prompts worded in Chinese for every mode, fixed replies in
Chinese, quotes and support checks with the Chinese embedder (real), follow-ups in Chinese."""

from __future__ import annotations

import pytest

from assist.budget import busy_release
from assist.prompts import zh
from courses.services import enrollment_create
from knowledge.rag import not_covered_text
from tests.knowledge.chinese import OFF_TOPIC, QUESTIONS, chinese_course
from tutor.models import Message, Mode
from tutor.services import turn_complete, turn_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def zh_course(kb_dirs, teacher):
    return chinese_course(teacher)


@pytest.fixture
def zh_student(student, zh_course):
    enrollment_create(user=student, course=zh_course)
    return student


def _turn(user, course, text, mode=Mode.EXPLAIN, **extra):
    turn = turn_start(user=user, course=course, text=text, mode=mode, **extra)
    busy_release(user=user)  # one turn at a time per student; these tests start several
    return turn


def test_explain_mode_prompts_and_quotes_in_chinese(zh_course, zh_student):
    question = QUESTIONS[3][0]  # deque 怎么从队头取出元素？
    turn = _turn(zh_student, zh_course, question)
    system, user = turn.messages[0], turn.messages[-1]
    assert system["content"].startswith(zh.RAG_SYSTEM)
    assert user["content"].endswith(f"问题：{question}")
    assert "popleft()" in user["content"]  # the right passage is in the context block
    assert turn.reply.quotes and "popleft()" in turn.reply.quotes[0]["text"]


def test_hint_mode_prompts_in_chinese_and_still_forbids_the_answer(zh_course, zh_student):
    turn = _turn(zh_student, zh_course, QUESTIONS[1][0], mode=Mode.HINT)
    system, user = turn.messages[0]["content"], turn.messages[-1]["content"]
    assert system.startswith(zh.HINT_SYSTEM)
    assert "绝不要给出最终答案" in system and "<context>" in user
    assert user.endswith(zh.HINT_REQUEST)
    assert turn.reply.quotes == []  # a quote would hand over the answer


def test_quiz_mode_asks_its_question_in_chinese(zh_course, zh_student, scripted):
    lesson = zh_course.lessons.get(slug="decoding-zh")
    scripted.answer = "温度为 0 时模型会怎样选择词元？"
    asked = turn_complete(_turn(zh_student, zh_course, "考考我", mode=Mode.QUIZ, lesson=lesson))
    assert asked.kind == Message.Kind.QUIZ_QUESTION
    assert scripted.calls[0][0]["content"] == zh.QUIZ_QUESTION_SYSTEM
    assert scripted.calls[0][-1]["content"].endswith(zh.QUIZ_REQUEST)


def test_quiz_feedback_prompt_is_in_chinese(zh_course, zh_student, scripted):
    lesson = zh_course.lessons.get(slug="decoding-zh")
    scripted.answer = "温度为 0 时模型会怎样选择词元？"
    asked = turn_complete(_turn(zh_student, zh_course, "考考我", mode=Mode.QUIZ, lesson=lesson))
    busy_release(user=zh_student)
    turn = _turn(
        zh_student,
        zh_course,
        "总是选概率最高的",
        mode=Mode.QUIZ,
        conversation_id=asked.conversation_id,
    )
    assert turn.reply.kind == Message.Kind.QUIZ_FEEDBACK
    assert turn.messages[0]["content"] == zh.QUIZ_FEEDBACK_SYSTEM
    assert f"{zh.QUIZ_QUESTION}温度为 0 时模型会怎样选择词元？" in turn.messages[-1]["content"]
    assert turn.messages[-1]["content"].endswith(f"{zh.MY_ANSWER}总是选概率最高的")


def test_quiz_without_a_topic_says_so_in_chinese(zh_course, zh_student):
    turn = _turn(zh_student, zh_course, "考考我", mode=Mode.QUIZ)
    assert turn.messages is None
    assert turn.fixed_text.startswith("告诉我") and "考考我" in turn.fixed_text


def test_an_off_topic_question_gets_not_covered_in_chinese_without_the_model(
    zh_course, zh_student, scripted
):
    reply = turn_complete(_turn(zh_student, zh_course, OFF_TOPIC[0]))
    assert reply.covered is False
    assert reply.content == not_covered_text("zh")
    assert scripted.calls == []


def test_a_chinese_follow_up_is_read_with_the_question_before_it(zh_course, zh_student, scripted):
    first = turn_complete(_turn(zh_student, zh_course, "LoRA 属于什么样的微调？"))
    busy_release(user=zh_student)
    follow_up = _turn(
        zh_student, zh_course, "那它为什么省资源？", conversation_id=first.conversation_id
    )
    assert follow_up.messages is not None
    # The passages found with the question before it open the prompt (shared parts first).
    assert "低秩矩阵" in " ".join(m["content"] for m in follow_up.messages)


def test_the_answer_is_checked_sentence_by_sentence_with_the_chinese_embedder(
    zh_course, zh_student, scripted
):
    scripted.answer = "所有头的输出会被拼接起来，再做一次线性变换 [1]。香蕉面包要烤四十分钟。"
    reply = turn_complete(_turn(zh_student, zh_course, QUESTIONS[0][0]))
    checks = [(c["text"], c["supported"]) for c in reply.checks if c["claim"]]
    assert checks == [
        ("所有头的输出会被拼接起来，再做一次线性变换 [1]。", True),
        ("香蕉面包要烤四十分钟。", False),
    ]
