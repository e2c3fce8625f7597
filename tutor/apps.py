from django.apps import AppConfig


class TutorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tutor"
    verbose_name = "AI tutor"

    def ready(self) -> None:
        from assist.hooks import rating_source_register
        from tutor.selectors import course_answer_ratings

        # The course's AI usage page (assist) shows how students rated the tutor's answers.
        rating_source_register(uid="tutor", source=course_answer_ratings)
