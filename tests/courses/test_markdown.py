import re

import pytest
from django.urls import reverse

from courses import services
from courses.markdown import markdown_link_problems, render_markdown


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<div onclick="steal()">hi</div>',
    ],
)
def test_hostile_markup_renders_inert(hostile):
    html = str(render_markdown(hostile)).lower()
    # Escaped text may still *read* "javascript:"; what matters is that no real tag carries it.
    tags = re.findall(r"<[a-z][^>]*>", html)
    assert not any(tag.startswith(("<script", "<iframe", "<div")) for tag in tags), tags
    assert not any(re.search(r"(href|src)=\"(javascript|data|vbscript):", tag) for tag in tags)
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html), html  # no event handler in a tag


def test_ordinary_markdown_keeps_its_structure():
    html = str(
        render_markdown(
            "## Attention\n\nSee [paper](https://arxiv.org/abs/1706.03762).\n\n"
            "```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
    )
    assert '<h2 id="attention">Attention</h2>' in html
    assert 'href="https://arxiv.org/abs/1706.03762"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert '<code class="language-python">' in html
    assert "<table>" in html


def test_repeated_headings_get_distinct_anchors():
    html = str(render_markdown("## Example\n\n## Example\n"))
    assert 'id="example"' in html and 'id="example-2"' in html


def test_link_problems_name_the_line_and_the_reason():
    problems = markdown_link_problems("ok [a](/courses/x/)\n\n[b](vbscript:x)\n\n![c](http:///)")
    assert [(p.line, p.url) for p in problems] == [(3, "vbscript:x"), (5, "http:///")]
    assert markdown_link_problems("[mail](mailto:t@example.org) [rel](../x) [a](#top)") == []


@pytest.mark.django_db
def test_a_script_in_a_lesson_is_inert_for_the_student(client, course, enrolled_student):
    lesson = course.lessons.get(slug="values")
    lesson.body = "Before <script>document.title='pwned'</script> after"
    lesson.save()
    client.force_login(enrolled_student)
    page = client.get(reverse("courses:lesson", args=[course.slug, "values"])).content.decode()
    assert (
        "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
        or "&lt;script&gt;" in page
    )
    assert "<script>document.title" not in page


@pytest.mark.django_db
def test_a_script_in_a_course_description_is_inert(client, teacher):
    course = services.course_create(
        author=teacher, title="T", slug="t", summary="s", description="<script>alert(1)</script>"
    )
    client.force_login(teacher)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
