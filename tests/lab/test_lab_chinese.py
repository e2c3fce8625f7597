"""The LLM lab in Simplified Chinese: each instrument's labels, counts and refusals, and an
instrument inside a lesson; English stays the default."""

from __future__ import annotations

from django.urls import reverse

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_the_tokenizer_counts_and_compares_in_chinese(signed_in, lab_double):
    response = signed_in.get(
        reverse("lab:tokenizer"), {"text": "one two three", "compare": "un deux"}, **ZH
    )
    page = response.content.decode()
    assert "<h1>分词器</h1>" in page and ">分词</button>" in page
    assert "3 个词元" in page and "2 个词元" in page
    assert "对应 13 个字符（13 个 UTF-8 字节）" in page
    assert "第一段文本用了 3 个词元，第二段用了 2 个。" in page


def test_next_token_and_its_chart_labels_are_in_chinese(signed_in, lab_double):
    response = signed_in.get(reverse("lab:next_token"), {"prompt": "The capital is"}, **ZH)
    page = response.content.decode()
    assert '在“<span class="lab-prompt">The capital is</span>”（3 个词元）之后' in page
    assert '<th scope="col">概率</th>' in page and ">采样 20 次</button>" in page
    assert 'aria-label="最可能的下一个词元的条形图；下表给出了相同的数据"' in page
    # The chart's own labels come from the JavaScript catalogue, loaded before lab.js.
    assert page.index('src="/jsi18n/"') < page.index("js/lab.js")


def test_refusals_are_in_chinese(signed_in, lab_double, settings):
    settings.LAB_MAX_TOKENS = 3
    response = signed_in.get(reverse("lab:next_token"), {"prompt": "one two three four"}, **ZH)
    assert response.status_code == 400
    assert (
        "这段文字有 4 个词元；为了即时响应，实验室最多处理 3 个词元。" in response.content.decode()
    )
    empty = signed_in.get(reverse("lab:tokenizer"), {"text": "   "}, **ZH)
    assert "请先输入一些文字。" in empty.content.decode()


def test_the_speed_table_is_in_chinese(signed_in, lab_double):
    page = signed_in.post(reverse("lab:speed"), **ZH).content.decode()
    assert "<td>使用 KV 缓存</td>" in page and '<th scope="col">每秒词元数</th>' in page
    again = signed_in.post(reverse("lab:speed"), **ZH)
    assert again.status_code == 429
    assert "每 30 秒只能测速一次：这台机器是大家共用的。" in again.content.decode()


def test_english_stays_the_default(signed_in, lab_double):
    page = signed_in.get(reverse("lab:tokenizer"), {"text": "one two three"}).content.decode()
    assert "3 tokens" in page and "个词元" not in page
