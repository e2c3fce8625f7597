"""The URLs of the inference service (`manage.py serve_inference`): programs only, never pages.

The OpenAI-compatible API at /v1 and the lab's operations at /v1/lab, both behind the service's
bearer key (INFERENCE_API_KEY). Nothing of the site is mounted here, so the model process can
never serve a page, a sign-in form or the admin, and settings give it no site middleware.
"""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("v1/", include("inference.openai_urls")),
    path("v1/lab/", include("inference.lab_urls")),
]
