from django.apps import AppConfig


class LabConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lab"
    verbose_name = "LLM lab"

    def ready(self) -> None:
        from courses.markdown import directive_register
        from lab.directives import directive_render

        # Lessons embed instruments as ```lab <instrument>``` fences (courses/markdown.py).
        directive_register(name="lab", render=directive_render)
