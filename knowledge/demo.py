"""Demo course material: the files a demo course's `course.toml` lists under `[[materials]]`
(`file` inside courses/demo_content/<slug>/, `name` as students see it in citations), uploaded
as the course's first teacher and ingested like any upload (knowledge/tasks.py).

Loading is idempotent: a material is found again by its name in the course and left as it is
(a teacher may have deleted its passages or re-uploaded it; the demo does not fight that).
"""

from __future__ import annotations

import tomllib

from django.core.files.base import ContentFile

from courses.demo import DEMO_CONTENT_DIR, DemoContentError
from courses.models import Course
from knowledge.services import material_create


def demo_materials_load(*, course: Course) -> int:
    """Upload the course's demo material that it does not have yet; returns how many."""
    directory = DEMO_CONTENT_DIR / course.slug
    manifest_path = directory / "course.toml"
    if not manifest_path.exists():
        return 0
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    have = set(course.materials.values_list("original_name", flat=True))
    teacher = course.teachers.first()
    queued = 0
    for item in manifest.get("materials", []):
        name, path = item["name"], directory / item["file"]
        if name in have:
            continue
        if not path.is_file():
            raise DemoContentError(f"{course.slug}: material file {item['file']} is missing")
        material = material_create(
            course=course, uploaded_by=teacher, upload=ContentFile(path.read_bytes(), name=name)
        )
        if material.error:
            raise DemoContentError(f"{course.slug}: {name}: {material.error}")
        queued += 1
    return queued
