"""Who may frame an LTI page, and where its forms may post.

The site answers `frame-ancestors 'none'` and X-Frame-Options DENY everywhere
(llmasos/csp.py). Launch pages are shown inside the LMS, so they name the registered
platform's origins instead, and nothing else; the deep-linking answer also posts its form
back to the platform. The rest of the policy is the site's (kept in step with llmasos/csp.py,
which this layer may not import).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'{forms}; frame-ancestors {frames}"
)


def frame_for(
    response: HttpResponse, *, origins: Iterable[str], form_origins: Iterable[str] = ()
) -> HttpResponse:
    frames = " ".join(origins) or "'none'"
    forms = "".join(f" {origin}" for origin in form_origins)
    response["Content-Security-Policy"] = POLICY.format(frames=frames, forms=forms)
    # Modern browsers obey frame-ancestors; X-Frame-Options cannot name an origin, so it goes.
    response.xframe_options_exempt = True
    return response
