"""Content-Security-Policy on every response.

Pages load scripts, styles, fonts and images only from this site: a remote image in a lesson,
an uploaded page or a model's answer would be a tracking pixel and a channel to send data out
(`img-src 'self'`), and no injected script runs. `data:` images stay allowed (Pico CSS draws its
icons as data: SVGs; they reach no server). Styles allow inline attributes (htmx and CodeMirror
set them); scripts do not allow anything inline, so the templates keep all JavaScript in
static files. Websockets may connect back to this host only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self' {sockets}; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            host = request.get_host()
            response["Content-Security-Policy"] = POLICY.format(sockets=f"ws://{host} wss://{host}")
        return response
