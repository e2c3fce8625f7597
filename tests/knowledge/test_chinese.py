"""Chinese courses: segmentation, chunking and sentences by Chinese punctuation, retrieval with
the packaged multilingual embedder (real model), the relevance threshold, quotes and support."""

from __future__ import annotations

import pytest
from django.urls import reverse

from knowledge.chunking import TARGET_CHARS_ZH, chunk_sections
from knowledge.index import query_terms, tokenize_for_bm25
from knowledge.models import Chunk
from knowledge.parsing import Section
from knowledge.quotes import quotes_select
from knowledge.rag import NOT_COVERED, not_covered_text, relevant_chunks
from knowledge.search import search
from knowledge.sentences import split_sentences
from knowledge.support import answer_check
from knowledge.tokens import words
from tests.conftest import api_client_for
from tests.knowledge.chinese import ATTENTION, OFF_TOPIC, QUESTIONS, chinese_course

# --- segmentation (no database) ------------------------------------------------------------------


def test_chinese_is_cut_into_words_not_runs_of_characters():
    found = words("大语言模型的预训练需要大量数据。")
    assert {"语言", "模型", "训练", "数据"} <= set(found)
    assert "大语言模型的预训练需要大量数据" not in found  # what a whitespace tokenizer keeps
    assert "的" not in found  # a function word says nothing about the topic


def test_identifiers_numbers_and_code_stay_whole_in_mixed_text():
    found = set(
        words("在 Python 中用collections.deque实现队列，snake_case_name 和 GPT-4 都有 3.14")
    )
    assert {"collections.deque", "snake_case_name", "gpt-4", "3.14", "python"} <= found
    # Their parts are searchable too: a student may just say "deque".
    assert {"deque", "队列"} <= found
    assert not found & {"，", " ", "在", "和"}


def test_passages_and_questions_are_tokenized_alike():
    passage = tokenize_for_bm25(["调用 popleft() 从队头取出元素"], "zh-hans")[0]
    question = query_terms("popleft 怎么取出队头的元素？", "zh-hans")
    # jieba cuts 从队头 as 从队/头 but 取出队头 as 取出/队头: the bigrams still meet.
    assert {"popleft", "取出", "队头", "元素"} <= set(passage) & set(question)


def test_english_courses_keep_their_tokenizer_with_stemmed_words():
    # bm25s's own tokens, stemmed, so a question's word form meets the passage's.
    assert query_terms("How do the heads work?", "en") == ["how", "do", "head", "work"]
    assert query_terms("quantising", "en") == query_terms("Quantisation", "en")


# --- chunking and sentences ----------------------------------------------------------------------


def test_chinese_sections_are_chunked_at_sentence_ends_into_shorter_passages():
    sentence = "注意力机制让模型在生成每个词元时关注输入中最相关的部分，这是 Transformer 的核心。"
    text = "".join(f"第{i}条：{sentence}" for i in range(40))  # one long paragraph, no spaces
    passages = chunk_sections([Section(text=text, heading="注意力", page=None)])
    assert len(passages) >= 5
    for passage in passages:
        assert len(passage.text) <= TARGET_CHARS_ZH + 80
        assert passage.text.endswith("。")  # never cut mid-sentence
        assert passage.heading == "注意力"
    # Each passage after the first starts with the previous one's last sentence (overlap).
    overlap = passages[1].text.split("。")[0] + "。"
    assert overlap.startswith("第") and passages[0].text.endswith(overlap)


def test_english_sections_are_chunked_as_before():
    text = " ".join(f"Sentence {i} explains one idea about attention heads." for i in range(60))
    passages = chunk_sections([Section(text=text, heading="Heads", page=None)])
    assert all(len(p.text) <= 900 for p in passages)
    assert all(p.text.endswith(".") for p in passages)
    # The overlap starts at a word, as it always did.
    assert all(p.text.split(" ", 1)[0] in text.split(" ") for p in passages)


def test_chinese_sentences_end_at_full_width_punctuation_without_spaces():
    text = "他说：“好。”然后走了！真的吗？是的……结束；使用 `collections.deque` 实现队列。"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "他说：“好。”",
        "然后走了！",
        "真的吗？",
        "是的……",
        "结束；",
        "使用 `collections.deque` 实现队列。",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_an_english_ellipsis_does_not_end_a_sentence():
    assert [s.text for s in split_sentences("Wait… it works. Next.")] == [
        "Wait… it works.",
        "Next.",
    ]


# --- retrieval with the real packaged multilingual embedder --------------------------------------


@pytest.fixture
def zh_course(db, kb_dirs, teacher):
    return chinese_course(teacher)


@pytest.mark.django_db
@pytest.mark.parametrize(("question", "section"), QUESTIONS)
def test_a_chinese_question_finds_the_section_that_answers_it(zh_course, question, section):
    hits = search(course_id=zh_course.pk, query=question, k=5)
    assert hits[0].chunk.heading == section
    # The tutor's relevance threshold lets it through.
    assert relevant_chunks(course_id=zh_course.pk, question=question)[0].heading == section


@pytest.mark.django_db
@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_chinese_question_is_declined(zh_course, question):
    assert relevant_chunks(course_id=zh_course.pk, question=question) == []


@pytest.mark.django_db
def test_a_chinese_course_is_embedded_with_the_multilingual_model(zh_course):
    from inference.embeddings import embed_texts

    chunk = Chunk.objects.filter(course=zh_course, heading="多头注意力").get()
    stored = embed_texts([f"{chunk.heading}\n{chunk.text}"], language="zh-hans")[0]
    assert bytes(chunk.vector) == stored.tobytes()
    minilm = embed_texts([f"{chunk.heading}\n{chunk.text}"])[0]
    assert float(minilm @ stored) < 0.9  # another model's space, not MiniLM's


@pytest.mark.django_db
def test_quotes_in_a_chinese_course_are_the_answering_sentence(zh_course):
    question = "deque 怎么从队头取出元素？"
    chunks = relevant_chunks(course_id=zh_course.pk, question=question)
    quotes = quotes_select(question=question, chunks=chunks, language="zh-hans")
    assert quotes and "popleft()" in quotes[0].text


@pytest.mark.django_db
def test_the_support_check_tells_a_supported_chinese_sentence_from_an_invented_one(zh_course):
    passage = ATTENTION.split("## 多头注意力")[1]
    checks = answer_check(
        text="多个注意力头并行计算，它们的输出会拼接起来。香蕉面包要在烤箱里烤四十分钟。",
        passages=[passage],
        language="zh-hans",
    )
    assert [c.supported for c in checks] == [True, False]


@pytest.mark.django_db
def test_changing_a_courses_language_re_embeds_its_passages(
    kb_dirs, teacher, client, django_capture_on_commit_callbacks
):
    course = chinese_course(teacher, language="en")  # the teacher forgot to set the language
    before = {c.pk: bytes(c.vector) for c in Chunk.objects.filter(course=course)}
    # Under MiniLM, Chinese is noise: the recipe question looks "covered".
    client.force_login(teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("courses:edit", args=[course.slug]),
            {
                "title": course.title,
                "slug": course.slug,
                "summary": course.summary,
                "description": "",
                "language": "zh-hans",
            },
        )
    assert response.status_code == 302
    after = {c.pk: bytes(c.vector) for c in Chunk.objects.filter(course=course)}
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in after)
    question, section = QUESTIONS[0]
    assert relevant_chunks(course_id=course.pk, question=question)[0].heading == section
    assert relevant_chunks(course_id=course.pk, question=OFF_TOPIC[0]) == []


# --- the answer's language -----------------------------------------------------------------------


@pytest.mark.django_db
def test_not_covered_is_said_in_the_answers_language(zh_course, student, scripted):
    from courses.services import enrollment_create

    enrollment_create(user=student, course=zh_course)
    response = api_client_for(student).post(
        reverse("api-ask", args=[zh_course.slug]), {"question": OFF_TOPIC[0]}, format="json"
    )
    body = response.json()
    assert body["covered"] is False
    assert body["answer"] == not_covered_text("zh") != NOT_COVERED
    assert "课程材料没有涉及这个问题" in body["answer"]
    assert scripted.calls == []


@pytest.mark.django_db
def test_the_ask_api_prompts_in_chinese_for_a_chinese_course(zh_course, student, scripted):
    from assist.prompts import zh
    from courses.services import enrollment_create

    enrollment_create(user=student, course=zh_course)
    scripted.answer = "多个注意力头的输出会被拼接起来 [1]。"
    question = QUESTIONS[0][0]
    body = (
        api_client_for(student)
        .post(reverse("api-ask", args=[zh_course.slug]), {"question": question}, format="json")
        .json()
    )
    system, user = scripted.calls[0]
    assert system == {"role": "system", "content": zh.RAG_SYSTEM}
    assert "请用简体中文回答" in system["content"]
    assert user["content"].endswith(f"问题：{question}")
    assert body["covered"] is True and body["citations"][0]["location"] == "多头注意力"
    assert any("拼接" in quote["text"] for quote in body["quotes"])


@pytest.mark.django_db
def test_an_english_question_in_a_chinese_course_is_answered_in_english(zh_course, student):
    from courses.services import enrollment_create

    enrollment_create(user=student, course=zh_course)
    body = (
        api_client_for(student)
        .post(
            reverse("api-ask", args=[zh_course.slug]),
            {"question": "What is the best recipe for banana bread?"},
            format="json",
        )
        .json()
    )
    assert body["covered"] is False and body["answer"] == NOT_COVERED


def test_the_answer_follows_the_question_language_else_the_courses():
    from core.languages import reply_family

    assert reply_family(course_language="en", question="多头注意力是什么？") == "zh"
    assert reply_family(course_language="zh-hans", question="What is multi-head attention?") == "en"
    assert reply_family(course_language="zh-hans", question="什么是 Transformer？") == "zh"
    assert reply_family(course_language="en", question="What does 模型 mean?") == "en"
    # Too little to tell by: the course's language.
    assert reply_family(course_language="zh-hans", question="GPT-3?") == "zh"
    assert reply_family(course_language="en", question="GPT-3?") == "en"
