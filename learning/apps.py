from django.apps import AppConfig


class LearningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"
    verbose_name = "Learning paths"

    def ready(self) -> None:
        # Every graded or reviewed submission moves the student's mastery of its concepts.
        from grading.signals import submission_scored
        from learning.receivers import submission_scored_record

        submission_scored.connect(submission_scored_record, dispatch_uid="learning-mastery")
