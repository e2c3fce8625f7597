"""The lab's instruments: each admits the call (rate, budget), asks the model through
`inference.lab_client` and shapes the answer for a page or the API.

Inputs arrive validated by lab.forms (characters, ranges); the token limit needs the model's own
tokenizer, so it is checked here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from courses.models import Course
from inference.lab_client import LabError, lab_call
from knowledge.models import Chunk
from lab.errors import LabRefused
from lab.metering import lab_admit, lab_refund

T = TypeVar("T")
MAX_PASSAGES = 60  # per embeddings map: enough to see clusters, small enough for a phone


def _metered(user: Any, work: Callable[[], T], *, speed: bool = False) -> T:
    charged = lab_admit(user=user, speed=speed)
    try:
        return work()
    except LabRefused:
        lab_refund(user=user, charged=charged)
        raise
    except LabError as exc:
        lab_refund(user=user, charged=charged)
        raise LabRefused("unavailable", str(exc)) from exc


def _within_token_limit(text: str) -> int:
    count = int(lab_call("count_tokens", text=text)["count"])
    if count == 0:
        raise LabRefused("empty", _("Type some text first."))
    if count > settings.LAB_MAX_TOKENS:
        raise LabRefused(
            "too_long",
            _(
                "That text is %(count)s tokens long; the lab takes at most %(limit)s tokens "
                "so that it answers at once."
            )
            % {"count": count, "limit": settings.LAB_MAX_TOKENS},
        )
    return count


# --- Tokenizer ------------------------------------------------------------------------------


def tokenizer_inspect(*, user: Any, text: str, compare: str = "") -> dict[str, Any]:
    """The tokens of `text` (and of `compare`, e.g. the same sentence in Chinese)."""

    def work() -> dict[str, Any]:
        result: dict[str, Any] = {"texts": []}
        for sample in [text, compare] if compare else [text]:
            tokens = lab_call("tokenize", text=sample)["tokens"]
            result["texts"].append(
                {
                    "text": sample,
                    "tokens": tokens,
                    "count": len(tokens),
                    "characters": len(sample),
                    "bytes": len(sample.encode()),
                }
            )
        return result

    return _metered(user, work)


# --- Next token -----------------------------------------------------------------------------


def next_token_predict(*, user: Any, prompt: str) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        _within_token_limit(prompt)
        return {"prompt": prompt, **lab_call("next_token", prompt=prompt, top=50)}

    return _metered(user, work)


def next_token_sample(
    *, user: Any, prompt: str, count: int, temperature: float, top_k: int, top_p: float
) -> dict[str, Any]:
    """`count` short continuations at once, and how often each distinct one came up."""

    def work() -> dict[str, Any]:
        _within_token_limit(prompt)
        samples = lab_call(
            "sample",
            prompt=prompt,
            count=count,
            max_new_tokens=6,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
        )["samples"]
        spread = Counter(sample.strip() or "(end of text)" for sample in samples)
        return {
            "prompt": prompt,
            "samples": samples,
            "spread": [{"text": text, "count": n} for text, n in spread.most_common()],
        }

    return _metered(user, work)


@dataclass(frozen=True)
class ExerciseOutcome:
    passed: bool
    probabilities: dict[str, float]
    message: str


def exercise_check(*, user: Any, exercise: dict[str, str], prompt: str) -> ExerciseOutcome:
    """A next-token exercise: is `more_likely` more probable than `than` after the prompt?"""
    likely, unlikely = exercise.get("more_likely", ""), exercise.get("than", "")
    if not likely or not unlikely:
        raise LabRefused("bad_exercise", _("This exercise is not set up correctly."))

    def work() -> ExerciseOutcome:
        _within_token_limit(prompt)
        # After a word the next word starts with a space; after a space or newline it does not.
        spaced = "" if prompt[-1:].isspace() else " "
        found = lab_call(
            "token_probabilities",
            prompt=prompt,
            continuations=[spaced + likely, spaced + unlikely],
        )["probabilities"]
        probabilities = {likely: float(found[0]), unlikely: float(found[1])}
        passed = probabilities[likely] > probabilities[unlikely]
        shown = ", ".join(f"P({word}) = {p:.2%}" for word, p in probabilities.items())
        message = (
            _("Well done: %(shown)s.") % {"shown": shown}
            if passed
            else _("Not yet: %(shown)s. Change the prompt and retry.") % {"shown": shown}
        )
        return ExerciseOutcome(passed, probabilities, message)

    return _metered(user, work)


# --- Attention ------------------------------------------------------------------------------


def attention_inspect(*, user: Any, text: str, layer: int, head: int | None) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        _within_token_limit(text)
        return lab_call("attention", text=text, layer=layer, head=head)

    return _metered(user, work)


def model_shape() -> dict[str, int]:
    """Layers and heads of the lab's model (no charge: it reads the configuration)."""
    try:
        return lab_call("model_shape")
    except LabError as exc:
        raise LabRefused("unavailable", str(exc)) from exc


# --- Embeddings -----------------------------------------------------------------------------


def readable_courses(*, user: Any) -> list[Course]:
    """Courses whose passages `user` may see: enrolled (published) or taught; all for admins."""
    courses = Course.objects.all()
    if not user.is_platform_admin:
        courses = courses.filter(
            Q(teachers=user) | Q(is_published=True, enrollments__user=user)
        ).distinct()
    return list(courses.order_by("title"))


def _pca_2d(vectors: np.ndarray) -> np.ndarray:
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    if len(vectors) < 2:
        return np.zeros((len(vectors), 2), dtype=np.float32)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    if projected.shape[1] < 2:
        projected = np.pad(projected, ((0, 0), (0, 2 - projected.shape[1])))
    return projected


def embeddings_map(
    *, user: Any, course: Course | None, words: list[str], query: str
) -> dict[str, Any]:
    """Words and the course's passages in 2-D (PCA), and the query's nearest neighbours by cosine.

    Passages come with the vectors the tutor's retrieval stored (knowledge.Chunk), so a student
    sees exactly why a passage is retrieved for a question. The caller checked `course` is one
    of `readable_courses(user=user)`.
    """

    def work() -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        vectors: list[np.ndarray] = []
        if course is not None:
            for chunk in Chunk.objects.filter(course=course).select_related("lesson", "material")[
                :MAX_PASSAGES
            ]:
                items.append(
                    {
                        "label": f"{chunk.source_name} · {chunk.location}",
                        "kind": "passage",
                        "text": chunk.text[:200],
                        "url": chunk.url,
                    }
                )
                vectors.append(np.frombuffer(bytes(chunk.vector), dtype=np.float32))
        typed = [*words, *([query] if query else [])]
        kinds = ["word"] * len(words) + (["query"] if query else [])
        if typed:
            embedded = lab_call("embed", texts=typed)["vectors"]
            for text, kind, vector in zip(typed, kinds, embedded, strict=True):
                items.append({"label": text, "kind": kind, "text": text, "url": ""})
                vectors.append(np.asarray(vector, dtype=np.float32))
        if not items:
            raise LabRefused("empty", _("Type some words or choose a course."))
        matrix = np.vstack(vectors)
        points = _pca_2d(matrix)
        for item, (x, y) in zip(items, points, strict=True):
            item["x"], item["y"] = round(float(x), 4), round(float(y), 4)
        neighbours = []
        if query:
            cosine = matrix[:-1] @ matrix[-1]
            order = np.argsort(-cosine)[:5]
            neighbours = [{**items[i], "cosine": round(float(cosine[i]), 4)} for i in order]
        return {"points": items, "neighbours": neighbours, "query": query}

    return _metered(user, work)


# --- Speed ----------------------------------------------------------------------------------

SPEED_PROMPT_LENGTHS = [16, 64, 128]
SPEED_NEW_TOKENS = 6


def speed_measure(*, user: Any) -> dict[str, Any]:
    """Measured now on this machine (small sizes: a few seconds), at most once per
    LAB_SPEED_SECONDS per user, one question each."""
    return _metered(
        user,
        lambda: lab_call("speed", new_tokens=SPEED_NEW_TOKENS, prompt_lengths=SPEED_PROMPT_LENGTHS),
        speed=True,
    )
