from __future__ import annotations

from typing import Any


def submission_scored_pass_back(sender: Any, *, submission: Any, **kwargs: Any) -> None:
    from lti.grades import grade_passback_queue

    grade_passback_queue(submission=submission)
