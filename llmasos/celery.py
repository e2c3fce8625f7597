from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

app = Celery("llmasos")
# All Celery settings live in Django settings under the CELERY_ prefix (see llmasos/settings.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
