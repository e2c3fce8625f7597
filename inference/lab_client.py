"""The one function the lab app calls to look inside the model: `lab_call`.

In-process by default (inference.lab, on its own thread); with LAB_BASE_URL set, the same
request goes to the shared model process, which serves `inference.lab_urls`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from inference.lab import LabError, lab_operate

__all__ = ["LabError", "lab_call"]


def lab_call(operation: str, **params: Any) -> dict[str, Any]:
    """The JSON answer of one lab operation (see inference.lab.OPERATIONS); LabError if the lab
    cannot answer, with a message fit for a student."""
    if settings.LAB_BASE_URL:
        return _remote(operation, params)
    return lab_operate(operation, params)


def _remote(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    import httpx

    headers = {}
    if settings.LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.LLM_API_KEY}"
    try:
        response = httpx.post(
            f"{settings.LAB_BASE_URL.rstrip('/')}/{operation}",
            json=params,
            headers=headers,
            timeout=settings.LLM_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise LabError(_("The model service is not reachable; try again in a moment.")) from exc
    body = response.json() if response.content else {}
    if response.status_code != 200:
        # The model service answers in English (it has no user); the catalogue holds its sentences.
        raise LabError(_(str(body.get("error", {}).get("message") or _("The lab failed."))))
    return dict(body)
