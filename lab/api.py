"""REST: the lab's instruments as JSON (same limits, rate and budget as the pages).

POST /api/lab/tokenizer/   {text, compare?}
POST /api/lab/next-token/  {prompt}
POST /api/lab/sample/      {prompt, temperature, top_k, top_p}
POST /api/lab/attention/   {text, layer, head?}
POST /api/lab/embeddings/  {course?, words?, query?}
POST /api/lab/speed/
POST /api/lab/exercise/    {exercise (signed, from a lesson), prompt}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lab import services
from lab.errors import LabRefused, refusal_status
from lab.forms import AttentionForm, EmbeddingsForm, ExerciseForm, SampleForm, TokenizerForm


def _answer(form: forms.Form, work: Callable[[dict[str, Any]], Any]) -> Response:
    # The pages' forms validate here too: one set of limits for both doors.
    if not form.is_valid():
        return Response(form.errors.get_json_data(), status=400)
    try:
        result = work(form.cleaned_data)
    except LabRefused as refused:
        return Response(
            {"detail": str(refused), "code": refused.code}, status=refusal_status(refused)
        )
    return Response(result)


def _data(request: Request) -> dict[str, Any]:
    return {key: value for key, value in request.data.items() if not isinstance(value, list)}


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class LabTokenizerApi(APIView):
    def post(self, request: Request) -> Response:
        return _answer(
            TokenizerForm(_data(request)),
            lambda data: services.tokenizer_inspect(user=request.user, **data),
        )


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class LabNextTokenApi(APIView):
    def post(self, request: Request) -> Response:
        form = SampleForm(_data(request))
        for name in ("temperature", "top_k", "top_p"):
            form.fields[name].required = False
        return _answer(
            form,
            lambda data: services.next_token_predict(user=request.user, prompt=data["prompt"]),
        )


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class LabSampleApi(APIView):
    def post(self, request: Request) -> Response:
        return _answer(
            SampleForm(_data(request)),
            lambda data: services.next_token_sample(user=request.user, count=20, **data),
        )


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class LabAttentionApi(APIView):
    def post(self, request: Request) -> Response:
        try:
            shape = services.model_shape()
        except LabRefused as refused:
            return Response({"detail": str(refused)}, status=503)
        return _answer(
            AttentionForm(_data(request), layers=shape["layers"], heads=shape["heads"]),
            lambda data: services.attention_inspect(user=request.user, **data),
        )


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class LabEmbeddingsApi(APIView):
    def post(self, request: Request) -> Response:
        courses = services.readable_courses(user=request.user)

        def work(data: dict[str, Any]) -> dict[str, Any]:
            course = next((c for c in courses if c.pk == data["course"]), None)
            return services.embeddings_map(
                user=request.user, course=course, words=data["words"], query=data["query"]
            )

        return _answer(EmbeddingsForm(_data(request), courses=courses), work)


@extend_schema(request=None, responses=OpenApiTypes.OBJECT)
class LabSpeedApi(APIView):
    def post(self, request: Request) -> Response:
        try:
            return Response(services.speed_measure(user=request.user))
        except LabRefused as refused:
            return Response(
                {"detail": str(refused), "code": refused.code}, status=refusal_status(refused)
            )


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class LabExerciseApi(APIView):
    def post(self, request: Request) -> Response:
        def work(data: dict[str, Any]) -> dict[str, Any]:
            outcome = services.exercise_check(
                user=request.user, exercise=data["exercise"], prompt=data["prompt"]
            )
            return {
                "passed": outcome.passed,
                "probabilities": outcome.probabilities,
                "message": outcome.message,
            }

        return _answer(ExerciseForm(_data(request)), work)
