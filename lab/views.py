"""The lab's pages: one per instrument. Each page and its result fragment come from one view.

A GET with the form's fields computes the result (so a bookmark or a lesson's link shows it,
and everything works without JavaScript); htmx asks for the `result` fragment only, which is
also what a lesson's embedded instrument shows. lab.js draws the charts from the fragment's
JSON and the tables stay as their text alternative.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedRequest
from lab import services
from lab.errors import LabRefused, refusal_status
from lab.forms import AttentionForm, EmbeddingsForm, ExerciseForm, SampleForm, TokenizerForm

DEFAULT_PROMPT = "The capital of France is"
DEFAULT_SENTENCE = "The animal didn't cross the street because it was too tired."


def _show(
    request: AuthenticatedRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    # A refused or invalid request is still a page (or fragment) that says why: 400/429.
    name = f"{template}#result" if request.htmx else template
    return render(request, name, context, status=status)


@login_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "lab/index.html")


@login_required
@require_GET
def tokenizer(request: AuthenticatedRequest) -> HttpResponse:
    asked = "text" in request.GET
    form = TokenizerForm(
        request.GET if asked else None,
        initial={
            "text": "Large language models read text as tokens.",
            "compare": "大型语言模型把文本读成词元。",
        },
    )
    context: dict[str, Any] = {"form": form, "asked": asked}
    status = 200
    if asked and form.is_valid():
        try:
            context["result"] = services.tokenizer_inspect(user=request.user, **form.cleaned_data)
        except LabRefused as refused:
            context["refusal"], status = str(refused), refusal_status(refused)
    elif asked:
        status = 400
    return _show(request, "lab/tokenizer.html", context, status=status)


@login_required
@require_GET
def next_token(request: AuthenticatedRequest) -> HttpResponse:
    asked = "prompt" in request.GET
    sampling = "sample" in request.GET
    form = SampleForm(
        request.GET if asked else None,
        initial={"prompt": DEFAULT_PROMPT, "temperature": 1.0, "top_k": 50, "top_p": 1.0},
    )
    if asked and not sampling:
        # A prediction needs only the prompt; the sliders keep their values (or defaults).
        for name in ("temperature", "top_k", "top_p"):
            form.fields[name].required = False
    context: dict[str, Any] = {"form": form, "asked": asked}
    status = 200
    if asked and form.is_valid():
        data = form.cleaned_data
        try:
            context["result"] = services.next_token_predict(
                user=request.user, prompt=data["prompt"]
            )
            if sampling:
                context["samples"] = services.next_token_sample(
                    user=request.user,
                    prompt=data["prompt"],
                    count=20,
                    temperature=data["temperature"],
                    top_k=data["top_k"],
                    top_p=data["top_p"],
                )
        except LabRefused as refused:
            context["refusal"], status = str(refused), refusal_status(refused)
    elif asked:
        status = 400
    return _show(request, "lab/next_token.html", context, status=status)


@login_required
@require_GET
def exercise(request: AuthenticatedRequest) -> HttpResponse:
    """Check a lesson's next-token exercise against the student's prompt."""
    form = ExerciseForm(request.GET)
    context: dict[str, Any] = {"form": form}
    status = 200
    if form.is_valid():
        try:
            context["outcome"] = services.exercise_check(
                user=request.user,
                exercise=form.cleaned_data["exercise"],
                prompt=form.cleaned_data["prompt"],
            )
            context["exercise"] = form.cleaned_data["exercise"]
        except LabRefused as refused:
            context["refusal"], status = str(refused), refusal_status(refused)
    else:
        status = 400
    return _show(request, "lab/exercise.html", context, status=status)


@login_required
@require_GET
def attention(request: AuthenticatedRequest) -> HttpResponse:
    try:
        shape = services.model_shape()
    except LabRefused as refused:
        return _show(request, "lab/attention.html", {"refusal": str(refused)}, status=503)
    asked = "text" in request.GET
    form = AttentionForm(
        request.GET if asked else None,
        layers=shape["layers"],
        heads=shape["heads"],
        initial={"text": DEFAULT_SENTENCE, "layer": shape["layers"] // 2, "head": ""},
    )
    context: dict[str, Any] = {"form": form, "asked": asked, "shape": shape}
    status = 200
    if asked and form.is_valid():
        try:
            result = services.attention_inspect(user=request.user, **form.cleaned_data)
        except LabRefused as refused:
            context["refusal"], status = str(refused), refusal_status(refused)
        else:
            context["result"] = result
            context["rows"] = [
                {
                    "token": token,
                    # A shade class per tenth, not a style per cell: a 64-token map has 4,096
                    # cells and a phone should not download half a megabyte for it.
                    "cells": [
                        {"shade": min(10, round(w * 10)), "shown": f"{w:.2f}".lstrip("0")}
                        for w in row
                    ],
                }
                for token, row in zip(result["tokens"], result["weights"], strict=True)
            ]
    elif asked:
        status = 400
    return _show(request, "lab/attention.html", context, status=status)


@login_required
@require_GET
def embeddings(request: AuthenticatedRequest) -> HttpResponse:
    courses = services.readable_courses(user=request.user)
    asked = any(key in request.GET for key in ("words", "query", "course"))
    form = EmbeddingsForm(
        request.GET if asked else None,
        courses=courses,
        initial={"words": "king, queen, man, woman, Paris, France, Rome, Italy, apple, banana"},
    )
    context: dict[str, Any] = {"form": form, "asked": asked}
    status = 200
    if asked and form.is_valid():
        data = form.cleaned_data
        course = next((c for c in courses if c.pk == data["course"]), None)
        try:
            context["result"] = services.embeddings_map(
                user=request.user, course=course, words=data["words"], query=data["query"]
            )
        except LabRefused as refused:
            context["refusal"], status = str(refused), refusal_status(refused)
    elif asked:
        status = 400
    return _show(request, "lab/embeddings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def speed(request: AuthenticatedRequest) -> HttpResponse:
    context: dict[str, Any] = {"asked": request.method == "POST"}
    status = 200
    if request.method == "POST":
        try:
            context["result"] = services.speed_measure(user=request.user)
        except LabRefused as refused:
            context["refusal"], status = str(refused), refusal_status(refused)
    return _show(request, "lab/speed.html", context, status=status)
