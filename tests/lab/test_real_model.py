"""The instruments against the real packaged SmolLM2 (and the tutor's real embedder)."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from inference import lab
from lab.forms import exercise_sign


def test_chinese_costs_more_tokens_than_english_and_pieces_are_bytes():
    english = lab.lab_run(lambda: lab.tokenize("The weather is nice today."))
    chinese = lab.lab_run(lambda: lab.tokenize("今天天气很好。"))
    assert len(chinese) > len(english)
    assert english[1]["piece"] == "Ġweather" and english[1]["bytes"] == "20 77 65 61 74 68 65 72"
    # One Chinese character is 3 UTF-8 bytes, spread over byte-level pieces.
    assert "".join(t["bytes"].replace(" ", "") for t in chinese) == "今天天气很好。".encode().hex()


def test_next_token_knows_the_capital_of_france():
    result = lab.lab_run(lambda: lab.next_token("The capital of France is", top=50))
    top = result["candidates"][0]
    assert top["text"] == " Paris"
    assert 0.3 < top["probability"] < 1
    # Top 50 plus the rest add up to the whole distribution.
    total = sum(math.exp(c["logit"]) for c in result["candidates"]) + math.exp(
        result["rest_logsumexp"]
    )
    assert top["probability"] == pytest.approx(math.exp(top["logit"]) / total, rel=1e-3)


def test_attention_rows_are_causal_distributions():
    result = lab.lab_run(lambda: lab.attention("The cat sat on the mat.", layer=5, head=None))
    weights = result["weights"]
    assert len(weights) == len(result["tokens"]) == len(weights[0])
    for i, row in enumerate(weights):
        assert sum(row) == pytest.approx(1.0, abs=1e-2)
        assert all(w == 0 for w in row[i + 1 :])
    assert result["layers"] == 30 and result["heads"] == 9


def test_a_student_solves_the_paris_exercise_end_to_end(client, student):
    client.force_login(student)
    exercise = exercise_sign({"exercise": "x", "more_likely": "Paris", "than": "London"})
    passed = client.get(
        reverse("lab:exercise"), {"exercise": exercise, "prompt": "The capital of France is"}
    )
    assert "✓ Well done" in passed.content.decode()
    failed = client.get(
        reverse("lab:exercise"),
        {"exercise": exercise, "prompt": "The capital of the United Kingdom is"},
    )
    assert "✗ Not yet" in failed.content.decode()


def test_embeddings_put_related_words_near_the_query(client, student):
    client.force_login(student)
    response = client.get(
        reverse("lab:embeddings"), {"words": "banana, queen, bicycle", "query": "king"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index("Nearest neighbours") :]
    assert table.index("queen") < table.index("banana")
    assert table.index("queen") < table.index("bicycle")


def test_speed_measures_the_cache_and_batching(client, student):
    client.force_login(student)
    result = lab.lab_operate("speed", {"new_tokens": 2, "prompt_lengths": [8, 32]})
    assert result["with_cache_tokens_per_second"] > 0
    assert result["batch_8_tokens_per_second"] > result["batch_1_tokens_per_second"]
    assert [p["prompt_tokens"] for p in result["time_to_first_token"]] == [8, 32]
    assert result["kv_cache_bytes_per_token"] == 2 * 30 * 3 * 64 * 4
