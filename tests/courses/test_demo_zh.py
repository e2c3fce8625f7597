"""The Chinese demo course 大语言模型: `load_demo` loads it beside the English courses, with its
lessons and their lab widgets, concept graph, practice questions and material; the Chinese
question set of bench/answers.py names sections that exist in it.

Ingestion is queued on commit, which a test transaction never reaches: no embedder runs here.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from courses.demo import DEMO_CONTENT_DIR, demo_load
from courses.models import Course, Enrollment, Lesson, Module
from knowledge.chunking import chunk_sections
from knowledge.models import Material, MaterialStatus
from knowledge.parsing import parse
from learning.models import Concept, PracticeQuestion, QuestionKind, QuestionStatus
from learning.services.concepts import course_requires
from learning.services.practice import practice_answer_submit

pytestmark = pytest.mark.django_db

SLUG = "llm-zh"
DIRECTORY = DEMO_CONTENT_DIR / SLUG
MANIFEST = tomllib.loads((DIRECTORY / "course.toml").read_text(encoding="utf-8"))
QUESTIONS = Path(__file__).resolve().parents[2] / "bench" / "data" / "answers_questions_zh.json"
HAN = re.compile(r"[\u4e00-\u9fff]")
LAB_FENCE = re.compile(r"^```lab ", re.MULTILINE)


@pytest.fixture
def demo(demo_once: str, db: None) -> str:
    return demo_once


def _counts() -> dict[str, int]:
    course = Course.objects.get(slug=SLUG)
    return {
        "courses": Course.objects.count(),
        "modules": Module.objects.filter(course=course).count(),
        "lessons": course.lessons.count(),
        "concepts": Concept.objects.filter(course=course).count(),
        "questions": PracticeQuestion.objects.filter(concept__course=course).count(),
        "materials": Material.objects.filter(course=course).count(),
        "enrollments": Enrollment.objects.filter(course=course).count(),
        "users": User.objects.count(),
    }


def test_load_demo_adds_the_chinese_course_beside_the_english_ones(demo) -> None:
    course = Course.objects.get(slug=SLUG)
    assert "Loaded “大语言模型” (11 lessons and 5 new materials" in demo
    assert {"llm-how-they-work", "python-basics", SLUG} <= set(
        Course.objects.values_list("slug", flat=True)
    )
    assert course.title == "大语言模型" and course.is_published
    assert HAN.search(course.summary) and HAN.search(course.description)
    modules = list(course.modules.order_by("position"))
    assert [m.title for m in modules] == [m["title"] for m in MANIFEST["modules"]]
    titles = [
        lesson.title for lesson in Lesson.objects.filter(course=course).order_by("module__position")
    ]
    assert len(titles) == 11 and titles[0] == "什么是大语言模型"
    for lesson in course.lessons.all():
        # Written to teach from, in Chinese: at least a thousand Han characters each.
        assert len(HAN.findall(lesson.body)) > 1000, lesson.slug
        assert "## 小练习" in lesson.body, lesson.slug
    assert course.teachers.filter(username="teacher").exists()
    assert Enrollment.objects.filter(user__username="student", course=course).exists()
    # Course.language arrives with the Chinese-retrieval work; once it exists, it is Chinese.
    if "language" in {field.name for field in Course._meta.get_fields()}:
        assert vars(course)["language"] == "zh-hans"  # not an attribute for mypy until then


def test_the_course_covers_the_outline_of_the_seed() -> None:
    demo_load()
    body = " ".join(Lesson.objects.filter(course__slug=SLUG).values_list("body", flat=True))
    for topic in (
        "词元",
        "自注意力",
        "多头注意力",
        "位置编码",
        "BERT",
        "掩码语言模型",
        "指令微调",
        "人类反馈",
        "LoRA",
        "量化",
        "剪枝",
        "蒸馏",
        "KV 缓存",
        "top-p",
        "思维链",
        "幻觉",
        "偏见",
        "隐私",
        "LLMasOS",
        "个性化",
        "作业批改",
    ):
        assert topic in body, topic


def test_the_concept_graph_has_prerequisites_and_chinese_practice(demo) -> None:
    course = Course.objects.get(slug=SLUG)
    concepts = list(Concept.objects.filter(course=course).prefetch_related("lessons", "questions"))
    assert len(concepts) >= 15
    requires = course_requires(course=course)
    roots = [slug for slug, before in requires.items() if not before]
    assert roots == ["next-token-prediction"]  # every other concept builds on something
    for concept in concepts:
        assert HAN.search(concept.name), concept.slug
        assert concept.lessons.exists(), concept.slug
        approved = [q for q in concept.questions.all() if q.status == QuestionStatus.APPROVED]
        assert {q.kind for q in approved} == {"choice", "short"}, concept.slug
        assert all(HAN.search(q.prompt) for q in approved), concept.slug


def test_a_chinese_short_answer_typed_with_chinese_punctuation_counts(demo) -> None:
    question = PracticeQuestion.objects.get(
        concept__course__slug=SLUG, kind=QuestionKind.SHORT, prompt__contains="通用能力"
    )
    student = User.objects.get(username="student")
    right = practice_answer_submit(question=question, student=student, response="灾难性遗忘。")
    wrong = practice_answer_submit(question=question, student=student, response="过拟合")
    assert right.correct and not wrong.correct


def test_the_seed_articles_are_course_material_queued_for_the_tutor(demo) -> None:
    course = Course.objects.get(slug=SLUG)
    materials = {m.original_name: m for m in Material.objects.filter(course=course)}
    assert set(materials) == {item["name"] for item in MANIFEST["materials"]}
    teacher = User.objects.get(username="teacher")
    for item in MANIFEST["materials"]:
        material = materials[item["name"]]
        assert material.status == MaterialStatus.PENDING and not material.error
        assert material.uploaded_by == teacher
        with material.file.open("rb") as stored:
            assert stored.read() == (DIRECTORY / item["file"]).read_bytes()
    # The English courses ship no material.
    assert not Material.objects.exclude(course=course).exists()


def test_loading_again_changes_nothing(demo, settings) -> None:
    before = _counts()
    materials = set(Material.objects.values_list("pk", flat=True))
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == before
    assert set(Material.objects.values_list("pk", flat=True)) == materials
    assert "Loaded “大语言模型” (11 lessons and 0 new materials" in out.getvalue()


def test_the_lessons_render_with_their_lab_instruments(demo, client) -> None:
    expected = {
        "tokens-and-vectors": ["lab:tokenizer", "lab:embeddings"],
        "attention-step-by-step": ["lab:attention"],
        "sampling-and-decoding": ["lab:next_token"],
        "inference-optimisation": ["lab:speed"],
    }
    client.force_login(User.objects.get(username="student"))
    for lesson in Lesson.objects.filter(course__slug=SLUG):
        response = client.get(lesson.get_absolute_url())
        assert response.status_code == 200, lesson.slug
        page = response.content.decode()
        assert lesson.title in page
        assert "```lab" not in page, lesson.slug  # every fence became a widget
        widgets = page.count('class="lab-instrument lab-embed"')
        assert widgets == len(LAB_FENCE.findall(lesson.body)), lesson.slug
        for url_name in expected.get(lesson.slug, []):
            assert f'action="{reverse(url_name)}"' in page, (lesson.slug, url_name)
    tokens = Lesson.objects.get(course__slug=SLUG, slug="tokens-and-vectors")
    page = client.get(tokens.get_absolute_url()).content.decode()
    assert "大语言模型把文本切分成词元。</textarea>" in page  # the preset reaches the form


def test_the_question_set_is_well_formed() -> None:
    data = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    questions = data["questions"]
    on_topic = [q for q in questions if not q.get("off_topic")]
    off_topic = [q for q in questions if q.get("off_topic")]
    assert len(on_topic) >= 30 and len(off_topic) >= 4
    assert len({q["question"] for q in questions}) == len(questions)
    for question in questions:
        assert question["course"] == SLUG
        assert HAN.search(question["question"]), question
    for question in on_topic:
        assert question["lesson"] and question["section"], question
        assert question["key"] and all(isinstance(k, str) and k for k in question["key"])


def test_every_question_names_a_section_of_the_loaded_course_that_answers_it() -> None:
    demo_load()
    lessons = {lesson.slug: lesson for lesson in Lesson.objects.filter(course__slug=SLUG)}
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    for question in (q for q in questions if not q.get("off_topic")):
        lesson = lessons.get(question["lesson"])
        assert lesson is not None, question
        section = _section(lesson.body, question["section"])
        assert section is not None, question
        text, headings = section
        # Phrased as a student would: not a sentence lifted from the lesson.
        assert question["question"] not in lesson.body, question
        assert any(key.lower() in text.lower() for key in question["key"]), question
        # bench/answers.py counts a hit when a passage of the lesson sits under the section or
        # one of its sub-headings: the chunker must produce such a passage.
        passages = chunk_sections(parse(lesson.body.encode(), "markdown"))
        assert any(p.heading in headings for p in passages), question


def _section(body: str, title: str) -> tuple[str, set[str]] | None:
    """The text under `## title` (to the next `## `) and its heading with its sub-headings."""
    lines = body.splitlines()
    try:
        start = lines.index(f"## {title}")
    except ValueError:
        return None
    text, headings = [], {title}
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.startswith("### "):
            headings.add(line[4:].strip())
        text.append(line)
    return "\n".join(text), headings
