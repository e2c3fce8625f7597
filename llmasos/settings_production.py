"""Production settings: everything in `settings`, hardened; refuses to start without SECRET_KEY."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from llmasos.env import env_bool, env_int, env_secret
from llmasos.settings import *  # noqa: F403
from llmasos.settings import STORAGES

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_secret("SECRET_KEY") or ""
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set to 50+ random characters"
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
# X-Forwarded-Proto is a header any client can send: trusted unconditionally it makes a plain
# HTTP request "secure" (no SSL redirect, secure cookies sent over HTTP). Django cannot see which
# peer sent it, so it trusts it only when TRUSTED_PROXY says that every request arrives through a
# proxy that overwrites the header. Otherwise uvicorn decides the scheme (--proxy-headers honours
# the header only from the addresses in FORWARDED_ALLOW_IPS, 127.0.0.1 by default).
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
