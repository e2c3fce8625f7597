"""REST: run a program in the playground's sandbox and get its output (no streaming)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from playground import metering, services
from sandbox import run_program


class PlaygroundRunApi(APIView):
    @extend_schema_serializer(component_name="PlaygroundRunInput")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(trim_whitespace=False)
        stdin = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)

        def validate_code(self, code: str) -> str:
            if problem := services.source_problem(code):
                raise serializers.ValidationError(problem)
            return code

        def validate_stdin(self, stdin: str) -> str:
            if len(stdin.encode()) > settings.PLAYGROUND_MAX_SOURCE_KB * 1024:
                raise serializers.ValidationError(_("The input is too large."))
            return stdin

    @extend_schema_serializer(component_name="PlaygroundRunResult")
    class OutputSerializer(serializers.Serializer):
        stdout = serializers.CharField()
        stderr = serializers.CharField()
        exit_code = serializers.IntegerField(allow_null=True)
        verdict = serializers.CharField()
        time_ms = serializers.IntegerField()
        problem = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            slot = metering.run_admit(user=request.user)
        except services.PlaygroundError as refused:
            return Response(
                {"detail": str(refused), "code": refused.code},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        try:
            result = run_program(
                code=data.validated_data["code"],
                stdin=data.validated_data.get("stdin", ""),
                limits=services.playground_limits(),
            )
        finally:
            metering.run_release(slot=slot)
        return Response(
            {
                "stdout": result.stdout,
                "stderr": result.stderr,
                "exit_code": result.exit_code,
                "verdict": str(result.verdict),
                "time_ms": result.time_ms,
                "problem": result.problem,
            }
        )
