"""The lab as an HTTP API of the model process: POST /lab/<operation> with JSON parameters.

Meant for `serve_inference` (one include of `inference.lab_urls`), behind the same bearer key
as the OpenAI-compatible API. Users never reach it: the web app checks roles, limits and budget
in the lab app and then calls `inference.lab_client.lab_call`.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from inference.lab import LabError, lab_operate
from inference.openai_api import _check, _error, _json_body


@csrf_exempt
async def operation(request: HttpRequest, name: str) -> HttpResponse:
    if problem := _check(request, "POST"):
        return problem
    body = _json_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        # The lab thread does the work; this only waits for it off the event loop.
        result = await sync_to_async(lab_operate, thread_sensitive=False)(name, body)
    except LabError as exc:
        return _error(str(exc), 400)
    return JsonResponse(result)
