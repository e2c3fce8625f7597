from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = _("LTI 1.3 (inside a school's LMS)")

    def ready(self) -> None:
        # Grading sits below this app and never imports it: grades reach the LMS through the
        # signal grading sends whenever a submission gets a score (graded, regraded, reviewed).
        from grading.signals import submission_scored
        from lti.receivers import submission_scored_pass_back

        submission_scored.connect(submission_scored_pass_back, dispatch_uid="lti-grade-passback")
