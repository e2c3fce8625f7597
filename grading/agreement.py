"""Agreement with the teacher and calibration on the teacher's grades: plain numbers, no ORM.

- Quadratic weighted kappa (QWK) on a 0-10 scale and mean absolute error: how far the grader is
  from the teacher. QWK is what the release rule reads: it punishes a 9 given to a 1 far more than
  a 6 given to a 5, and it is at chance level (0) for a grader that only says "about average".
- Calibration: the teacher's share of the points as a linear function of the evidence share of
  each criterion (one weight per criterion, plus an intercept), shrunk toward the rubric's own
  weights, so that six grades cannot throw the rubric away and sixty can correct it.
- Agreement is measured leave-one-out: each teacher grade is predicted by a calibration that did
  not see it. Measuring on the grades the calibration was fitted to would flatter it, and the
  release rule must not trust a flattering number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEVELS = 11  # 0..10
# How strongly the rubric's own weights hold against the teacher's grades, in answers' worth:
# as many as the release rule's minimum, so a handful of grades cannot undo the rubric (on the
# bench set, a weaker prior fitted to half of 14 answers lost agreement on the other half).
PRIOR_STRENGTH = 8.0


def to_levels(fractions: Sequence[float]) -> list[int]:
    return [int(np.clip(round(float(f) * (LEVELS - 1)), 0, LEVELS - 1)) for f in fractions]


def quadratic_weighted_kappa(rater_a: Sequence[int], rater_b: Sequence[int]) -> float:
    """Cohen's kappa with quadratic weights on 0..10 ratings; 1 is perfect agreement."""
    a = np.asarray(rater_a, dtype=int)
    b = np.asarray(rater_b, dtype=int)
    if len(a) == 0:
        return 0.0
    observed = np.zeros((LEVELS, LEVELS))
    for i, j in zip(a, b, strict=True):
        observed[i, j] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(a)
    index = np.arange(LEVELS)
    weights = (index[:, None] - index[None, :]) ** 2 / (LEVELS - 1) ** 2
    disagreement = float((weights * expected).sum())
    if disagreement == 0:
        return 1.0 if bool((a == b).all()) else 0.0
    return 1.0 - float((weights * observed).sum()) / disagreement


def mean_absolute_error(predicted: Sequence[float], actual: Sequence[float]) -> float:
    if not len(predicted):
        return 0.0
    return float(np.mean(np.abs(np.asarray(predicted) - np.asarray(actual))))


@dataclass(frozen=True)
class Calibrator:
    weights: tuple[float, ...]  # per criterion: the share of the total its evidence is worth
    intercept: float

    @classmethod
    def prior(cls, points: Sequence[float]) -> Calibrator:
        """The rubric as written: each criterion worth its points, nothing for free."""
        total = float(sum(points)) or 1.0
        return cls(tuple(float(p) / total for p in points), 0.0)

    def predict(self, features: Sequence[float]) -> float:
        if len(features) != len(self.weights):
            raise ValueError("The rubric changed since this calibration: regrade first.")
        value = self.intercept + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return float(np.clip(value, 0.0, 1.0))

    def as_dict(self) -> dict[str, object]:
        return {
            "weights": [round(w, 4) for w in self.weights],
            "intercept": round(self.intercept, 4),
        }


def calibrator_fit(
    *, features: Sequence[Sequence[float]], targets: Sequence[float], points: Sequence[float]
) -> Calibrator:
    """Ridge regression toward the rubric's weights: minimise
    |Xw + b - y|² + k·|w - w₀|² + k·b², then no criterion may count against the answer."""
    prior = Calibrator.prior(points)
    if not len(targets):
        return prior
    x = np.asarray(features, dtype=float)
    y = np.asarray(targets, dtype=float)
    n, c = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    k = PRIOR_STRENGTH
    # The prior enters as k pseudo-observations per parameter (augmented least squares).
    penalty = np.sqrt(k) * np.eye(c + 1)
    goal = np.concatenate([y, np.sqrt(k) * np.array([*prior.weights, 0.0])])
    solution, *_ = np.linalg.lstsq(np.vstack([design, penalty]), goal, rcond=None)
    weights = np.clip(solution[:c], 0.0, None)
    return Calibrator(tuple(float(w) for w in weights), float(solution[c]))


@dataclass(frozen=True)
class Agreement:
    graded: int  # teacher grades measured against
    qwk: float
    mae: float  # in points
    raw_qwk: float  # the uncalibrated grader on the same answers
    raw_mae: float


def agreement_measure(
    *,
    features: Sequence[Sequence[float]],
    targets: Sequence[float],
    points: Sequence[float],
    max_score: float,
) -> Agreement:
    """Leave-one-out agreement of the calibrated grader with the teacher, and the raw grader's."""
    n = len(targets)
    prior = Calibrator.prior(points)
    raw = [prior.predict(f) for f in features]
    held_out = []
    for i in range(n):
        rest = [j for j in range(n) if j != i]
        fitted = calibrator_fit(
            features=[features[j] for j in rest], targets=[targets[j] for j in rest], points=points
        )
        held_out.append(fitted.predict(features[i]))
    teacher = to_levels(targets)
    return Agreement(
        graded=n,
        qwk=quadratic_weighted_kappa(to_levels(held_out), teacher),
        mae=mean_absolute_error(held_out, targets) * max_score,
        raw_qwk=quadratic_weighted_kappa(to_levels(raw), teacher),
        raw_mae=mean_absolute_error(raw, targets) * max_score,
    )


def informative_order(
    *, pending: Sequence[Sequence[float]], graded: Sequence[Sequence[float]]
) -> list[int]:
    """Which ungraded answers teach the calibration most, first: each next one is the answer
    farthest (in evidence per criterion) from everything the teacher graded or was already
    suggested, so a few grades cover strong, weak and mixed answers instead of ten alike."""
    if not len(pending):
        return []
    points = np.asarray(pending, dtype=float)
    if len(graded):
        seen = np.asarray(graded, dtype=float)
        distance = np.min(np.linalg.norm(points[:, None, :] - seen[None, :, :], axis=2), axis=1)
    else:
        # Nothing graded yet: start from the most typical answer, then spread out.
        centre = np.median(points, axis=0)
        distance = np.full(len(points), np.inf)
        first = int(np.argmin(np.linalg.norm(points - centre, axis=1)))
        order = [first]
        distance = np.minimum(distance, np.linalg.norm(points - points[first], axis=1))
        distance[first] = -1.0
        return _farthest_first(points, distance, order)
    return _farthest_first(points, distance, [])


def _farthest_first(points: np.ndarray, distance: np.ndarray, order: list[int]) -> list[int]:
    distance = distance.copy()
    for index in order:
        distance[index] = -1.0
    while len(order) < len(points):
        pick = int(np.argmax(distance))
        order.append(pick)
        distance = np.minimum(distance, np.linalg.norm(points - points[pick], axis=1))
        distance[order] = -1.0
    return order
