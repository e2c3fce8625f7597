from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def submission_scored_pass_back(sender: Any, *, submission: Any, **kwargs: Any) -> None:
    from lti.grades import grade_passback_queue

    # Grading must never fail because of an LMS: a problem here is logged, and the teacher's
    # "send again" (course → In LMSs) recovers the grade.
    try:
        grade_passback_queue(submission=submission)
    except Exception:
        logger.exception("LTI grade passback could not be queued for submission %s", submission.pk)
