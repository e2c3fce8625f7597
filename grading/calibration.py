"""Calibrating the free-text grader on a teacher's grades, and the rule that releases its scores.

The numbers are in grading.agreement; this module reads and writes the rows. A free-text score is
a proposal (the student sees it as provisional, the teacher finds it in the review queue) until
the grader's measured agreement with the teacher on that assignment reaches the course's
threshold. Every review feeds the calibration again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from courses.models import Course
from grading.agreement import Calibrator, agreement_measure, calibrator_fit, informative_order
from grading.models import (
    DEFAULT_RELEASE_QWK,
    Assignment,
    Calibration,
    GradingSettings,
    Review,
    Status,
    Submission,
    Verdict,
)
from grading.services import submission_report
from grading.signals import submission_scored

# Fewer teacher grades than this measure nothing worth releasing on, whatever the QWK says.
MIN_TEACHER_GRADES = 8


def release_threshold(course: Course) -> float:
    found = GradingSettings.objects.filter(course=course).values_list("release_qwk", flat=True)
    return float(found[0]) if found else DEFAULT_RELEASE_QWK


def grading_settings_update(*, course: Course, release_qwk: float) -> GradingSettings:
    found, _ = GradingSettings.objects.update_or_create(
        course=course, defaults={"release_qwk": release_qwk}
    )
    return found


def _points(assignment: Assignment) -> list[float]:
    return [float(item["points"]) for item in assignment.rubric]


def submission_features(submission: Submission, *, criteria: int) -> list[float] | None:
    """The evidence share per criterion the grader recorded, if it matches the rubric."""
    raws = [c.get("raw") for c in submission.criteria]
    if len(raws) != criteria or any(not isinstance(r, int | float) for r in raws):
        return None
    return [float(r) for r in raws]


def _teacher_graded(assignment: Assignment) -> list[tuple[list[float], float]]:
    rows = []
    max_score = float(assignment.max_score) or 1.0
    for submission in assignment.submissions.filter(
        status=Status.GRADED,
        verdict=Verdict.SCORED,
        review__in=[Review.APPROVED, Review.OVERRIDDEN],
        grading_version=assignment.grading_version,
        score__isnull=False,
        problem="",  # another language, read less surely: it does not teach the calibration
    ).order_by("id"):
        features = submission_features(submission, criteria=len(assignment.rubric))
        if features is not None:
            rows.append((features, min(float(submission.score) / max_score, 1.0)))  # type: ignore[arg-type]
    return rows


def assignment_calibrate(*, assignment: Assignment) -> Calibration:
    """Fit on every teacher grade of the current rubric and measure agreement (leave-one-out)."""
    rows = _teacher_graded(assignment)
    points = _points(assignment)
    features = [f for f, _ in rows]
    targets = [t for _, t in rows]
    calibrator = calibrator_fit(features=features, targets=targets, points=points)
    fields: dict[str, Any] = {
        "grading_version": assignment.grading_version,
        "graded": len(rows),
        "weights": list(calibrator.weights),
        "intercept": calibrator.intercept,
        "teacher_mean": sum(targets) / len(targets) if targets else None,
        "qwk": None,
        "mae": None,
        "raw_qwk": None,
        "raw_mae": None,
    }
    if len(rows) >= 2:
        measured = agreement_measure(
            features=features,
            targets=targets,
            points=points,
            max_score=float(assignment.max_score),
        )
        fields.update(
            qwk=round(measured.qwk, 3),
            mae=round(measured.mae, 2),
            raw_qwk=round(measured.raw_qwk, 3),
            raw_mae=round(measured.raw_mae, 2),
        )
    calibration, _ = Calibration.objects.update_or_create(assignment=assignment, defaults=fields)
    return calibration


def current_calibration(assignment: Assignment) -> Calibration:
    """The assignment's calibration for its current rubric (refitted when the rubric changed)."""
    found = Calibration.objects.filter(assignment=assignment).first()
    if found is None or found.grading_version != assignment.grading_version:
        found = assignment_calibrate(assignment=assignment)
    return found


def calibrator_of(assignment: Assignment, calibration: Calibration) -> Calibrator:
    points = _points(assignment)
    if len(calibration.weights) != len(points) or not calibration.graded:
        return Calibrator.prior(points)
    return Calibrator(tuple(float(w) for w in calibration.weights), calibration.intercept)


def releases(assignment: Assignment, calibration: Calibration) -> bool:
    """Scores go out without review only on measured agreement with this teacher."""
    return (
        calibration.graded >= MIN_TEACHER_GRADES
        and calibration.qwk is not None
        and calibration.qwk >= release_threshold(assignment.course)
    )


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _pending(assignment: Assignment) -> Any:
    return assignment.submissions.filter(
        status=Status.GRADED,
        verdict=Verdict.SCORED,
        review=Review.NONE,
        grading_version=assignment.grading_version,
    )


def proposals_refresh(*, assignment: Assignment) -> int:
    """After a teacher's grade: recalibrate, propose new scores for the answers no teacher has
    graded yet, and release them if agreement now reaches the course's threshold (answers the
    grader could not judge, such as one in another language, stay with the teacher)."""
    calibration = assignment_calibrate(assignment=assignment)
    calibrator = calibrator_of(assignment, calibration)
    release = releases(assignment, calibration)
    changed = 0
    released: list[int] = []
    max_score = float(assignment.max_score)
    with transaction.atomic():
        # Locked: a worker recording a new grade at the same time must not be overwritten.
        for submission in _pending(assignment).select_for_update():
            features = submission_features(submission, criteria=len(assignment.rubric))
            if features is None:
                continue
            held = bool(submission.problem)  # another language: read less surely
            share = calibrator.predict(features)
            held = held or (share > 0.5 and any(c.get("contradicted") for c in submission.criteria))
            score = _money(max_score * share)
            needs_review = submission.needs_review if not release else held
            if (score, needs_review) != (submission.auto_score, submission.needs_review):
                Submission.objects.filter(pk=submission.pk).update(
                    auto_score=score, score=score, needs_review=needs_review
                )
                changed += 1
                if submission.needs_review and not needs_review:
                    released.append(submission.pk)
    for submission in Submission.objects.filter(pk__in=released).select_related(
        "assignment__course", "student"
    ):
        # Now a grade: mastery and the LMS hear of it, the student's page updates.
        submission_scored.send(sender=Submission, submission=submission)
        submission_report(submission)
    return changed


@dataclass(frozen=True)
class CalibrationSummary:
    graded: int
    needed: int
    qwk: float | None
    mae: float | None
    raw_qwk: float | None
    raw_mae: float | None
    threshold: float
    released: bool
    criteria: list[tuple[str, float, float]]  # criterion, rubric share, learned share


def calibration_summary(*, assignment: Assignment) -> CalibrationSummary:
    calibration = current_calibration(assignment)
    calibrator = calibrator_of(assignment, calibration)
    prior = Calibrator.prior(_points(assignment))
    return CalibrationSummary(
        graded=calibration.graded,
        needed=MIN_TEACHER_GRADES,
        qwk=calibration.qwk,
        mae=calibration.mae,
        raw_qwk=calibration.raw_qwk,
        raw_mae=calibration.raw_mae,
        threshold=release_threshold(assignment.course),
        released=releases(assignment, calibration),
        criteria=[
            (str(item["criterion"]), prior.weights[i], calibrator.weights[i])
            for i, item in enumerate(assignment.rubric)
        ],
    )


def review_suggestions(*, assignment: Assignment, limit: int | None = None) -> list[Submission]:
    """Unreviewed answers, the most informative for the calibration first."""
    criteria = len(assignment.rubric)
    pending = [
        s
        for s in _pending(assignment).select_related("assignment__course", "student")
        if submission_features(s, criteria=criteria) is not None
    ]
    graded = [f for f, _ in _teacher_graded(assignment)]
    order = informative_order(
        pending=[submission_features(s, criteria=criteria) or [] for s in pending], graded=graded
    )
    ranked = [pending[i] for i in order]
    return ranked[:limit] if limit is not None else ranked
