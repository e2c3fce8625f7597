from django.apps import AppConfig


class LearningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"
    verbose_name = "Learning paths"

    def ready(self) -> None:
        # Grading is the lower layer and never imports learning; learning plugs into it.
        from grading.hooks import concept_catalogue_register
        from grading.signals import submission_scored
        from learning.receivers import submission_scored_record
        from learning.selectors.concepts import concept_slugs

        # Every graded or reviewed submission moves the student's mastery of its concepts.
        submission_scored.connect(submission_scored_record, dispatch_uid="learning-mastery")
        # Once a course has a concept graph, assignments may only be tagged with its concepts.
        concept_catalogue_register(uid="learning-concepts", catalogue=concept_slugs)
