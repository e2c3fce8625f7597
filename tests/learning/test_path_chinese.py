"""“My path”, practice and the teacher's concept pages in Simplified Chinese: headings, the
charts' labels and text alternatives, the reasons for what comes next; English stays the
default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from learning.selectors import paths
from tests.conftest import api_client_for

pytestmark = [pytest.mark.django_db]
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _master_dot_products(answer, student) -> None:
    start = datetime.now(UTC) - timedelta(hours=5)
    for step in range(3):
        answer(student, True, at=start + step * timedelta(hours=1))


def test_the_path_page_its_charts_and_tables_read_in_chinese(
    client, course, concepts, enrolled_student, answer
):
    _master_dot_products(answer, enrolled_student)
    client.force_login(enrolled_student)
    url = reverse("learning:path", args=[course.slug])
    page = client.get(url, **ZH).content.decode()
    assert "<h1>我的学习路径</h1>" in page
    assert 'data-testid="mastered-count">1 / 4</strong> 个知识点已掌握' in page
    assert '<h2 id="next-heading">下一步</h2>' in page
    # The next step's reason, written by the path selector in the page's language.
    # The mastery chart: its text alternative, threshold label and key.
    assert "各知识点掌握度：" in page and "(已掌握)" in page and "(未解锁)" in page
    assert 'class="axis-label">已掌握</text>' in page
    assert "可以学习（先修知识点均已掌握）" in page
    # Its table, with the states (the CSS classes stay the plain values).
    assert '<th scope="col" class="num">掌握度</th>' in page and "<td>已掌握" in page
    assert 'class="bar mastered"' in page
    assert "最近四周的进展" in page and "已掌握的知识点数（左侧刻度）" in page
    assert "Mastery per concept" not in page and "Next for you" not in page

    # The API says the same in the language the client asks for.
    api = api_client_for(enrolled_student)
    data = api.get(f"/api/courses/{course.slug}/path/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert data["next"]["reasons"] == [
        "Values没有先修要求，是个很好的起点。",
        "掌握它之后可以解锁Attention。",
    ]
    for reason in data["next"]["reasons"]:
        assert f"<li>{reason}</li>" in page
    english = api.get(f"/api/courses/{course.slug}/path/").json()
    assert english["next"]["reasons"] == [
        "Values needs nothing else first: a good place to start.",
        "Mastering it unlocks Attention.",
    ]


def test_names_in_a_reason_are_joined_the_chinese_way():
    with translation.override("zh-hans"):
        assert paths._join(["点积", "值向量", "注意力"]) == "点积、值向量和注意力"
    assert paths._join(["Dot products", "Values", "Attention"]) == (
        "Dot products, Values and Attention"
    )


def test_practice_feedback_is_in_chinese(client, enrolled_student, choice_question):
    client.force_login(enrolled_student)
    url = reverse("learning:practice", args=["attention", choice_question.pk])
    page = client.get(url, **ZH).content.decode()
    assert ">检查答案</button>" in page and "<legend>请选择一项</legend>" in page
    html = client.post(url, {"answer": "0"}, HTTP_HX_REQUEST="true", **ZH).content.decode()
    assert "<strong>还不对。</strong>" in html and "正确答案是<strong>11</strong>。" in html
    assert "你对“Dot products”的掌握度：" in html
    again = client.post(url, {"answer": "1"}, **ZH).content.decode()
    assert "你刚刚答过这道题，所以这次作答不会改变你的掌握度。" in again


def test_the_teachers_concept_pages_are_in_chinese(client, course, concepts, teacher):
    client.force_login(teacher)
    page = client.get(reverse("learning:concepts", args=[course.slug]), **ZH).content.decode()
    assert "<h1>知识点与先修关系</h1>" in page and ">保存知识点</button>" in page
    assert '<label for="id_name">名称</label>' in page  # the form's labels too
    bad = client.post(
        reverse("learning:concepts_import", args=[course.slug]), {"text": "{oops"}, **ZH
    ).content.decode()
    assert "知识点文件没有导入。" in bad and "这不是有效的 JSON（" in bad
    classes = client.get(reverse("learning:class", args=[course.slug]), **ZH).content.decode()
    assert "<h1>班级概览</h1>" in classes and "掌握度热力图：学生 × 知识点" in classes
