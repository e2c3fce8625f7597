"""Signal receivers: grading tells us a submission was scored; we record it as evidence."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def submission_scored_record(sender: Any, *, submission: Any, **kwargs: Any) -> None:
    from learning.services.evidence import submission_record

    try:
        submission_record(submission=submission)
    except Exception:
        # The grade stands whatever happens here; mastery catches up at the next recompute.
        log.exception("could not record submission %s as learning evidence", submission.pk)
