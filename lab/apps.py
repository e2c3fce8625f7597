from django.apps import AppConfig


class LabConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lab"
    verbose_name = "LLM lab"

    def ready(self) -> None:
        from courses.markdown import directive_register
        from lab.directives import directive_render

        # Lessons embed instruments as ```lab <instrument>``` fences (courses/markdown.py).
        directive_register(
            name="lab",
            render=directive_render,
            help_text=(
                "Embed an LLM-lab instrument with a fenced block: ```lab tokenizer, next-token, "
                "attention, embeddings or speed, then preset lines such as “prompt: The capital "
                "of France is” (a next-token exercise adds exercise:, more_likely: and than:)."
            ),
        )
