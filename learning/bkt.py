"""Bayesian Knowledge Tracing: the probability that a student knows a concept, from their answers.

Our own implementation (not pyBKT): the standard two-state model (Corbett & Anderson, 1995) with
no forgetting, and Baum-Welch EM to fit a concept's four parameters from a class's answer
sequences. It is a few dozen lines of plain Python, fast enough for a course (50 concepts and
20,000 answers fit in about a second) and avoids pyBKT's compiled extension and pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# EM can reach a degenerate fit where "knowing" predicts wrong answers; capping guess and slip
# below 0.5 (as pyBKT does by default) keeps the states meaning what they should.
GUESS_MAX = 0.3
SLIP_MAX = 0.3
_EPS = 1e-6


@dataclass(frozen=True)
class Params:
    prior: float  # P(known) before the first answer
    learn: float  # P(unknown → known) at each practice opportunity
    guess: float  # P(correct | unknown)
    slip: float  # P(wrong | known)

    def as_dict(self) -> dict[str, float]:
        return {"prior": self.prior, "learn": self.learn, "guess": self.guess, "slip": self.slip}


DEFAULT = Params(prior=0.2, learn=0.15, guess=0.2, slip=0.1)


def update(p_known: float, correct: bool, params: Params) -> float:
    """P(known) at the next opportunity, after one answer given P(known) before it."""
    if correct:
        evidence = p_known * (1 - params.slip)
        posterior = evidence / (evidence + (1 - p_known) * params.guess)
    else:
        evidence = p_known * params.slip
        posterior = evidence / (evidence + (1 - p_known) * (1 - params.guess))
    return posterior + (1 - posterior) * params.learn


def trace(outcomes: Iterable[bool], params: Params) -> list[float]:
    """P(known) after each answer, in order, starting from the prior."""
    p_known, values = params.prior, []
    for correct in outcomes:
        p_known = update(p_known, correct, params)
        values.append(p_known)
    return values


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def fit(
    sequences: Sequence[Sequence[bool]],
    *,
    start: Params = DEFAULT,
    max_iterations: int = 100,
    tolerance: float = 1e-4,
) -> Params:
    """Baum-Welch EM over many students' answer sequences for one concept."""
    sequences = [s for s in sequences if s]
    if not sequences:
        return start
    params = start
    for _ in range(max_iterations):
        prior_sum = learned = could_learn = 0.0
        guessed = unknown = slipped = known = 0.0
        for outcomes in sequences:
            emission = [
                ((params.guess, 1 - params.slip) if c else (1 - params.guess, params.slip))
                for c in outcomes
            ]
            # Scaled forward pass: alpha[t] = P(state_t | answers up to t).
            alphas: list[tuple[float, float]] = []
            scales: list[float] = []
            a = ((1 - params.prior) * emission[0][0], params.prior * emission[0][1])
            for t in range(len(outcomes)):
                if t:
                    prev = alphas[-1]
                    a = (
                        prev[0] * (1 - params.learn) * emission[t][0],
                        (prev[0] * params.learn + prev[1]) * emission[t][1],
                    )
                scale = a[0] + a[1] or _EPS
                alphas.append((a[0] / scale, a[1] / scale))
                scales.append(scale)
            # Backward pass with the same scales; gamma = P(state_t | all answers).
            betas = [(1.0, 1.0)] * len(outcomes)
            for t in range(len(outcomes) - 2, -1, -1):
                e, b = emission[t + 1], betas[t + 1]
                betas[t] = (
                    ((1 - params.learn) * e[0] * b[0] + params.learn * e[1] * b[1]) / scales[t + 1],
                    (e[1] * b[1]) / scales[t + 1],
                )
            for t, correct in enumerate(outcomes):
                g0, g1 = alphas[t][0] * betas[t][0], alphas[t][1] * betas[t][1]
                total = g0 + g1 or _EPS
                g0, g1 = g0 / total, g1 / total
                if t == 0:
                    prior_sum += g1
                unknown += g0
                known += g1
                if correct:
                    guessed += g0
                else:
                    slipped += g1
                if t + 1 < len(outcomes):
                    e, b = emission[t + 1], betas[t + 1]
                    xi = alphas[t][0] * params.learn * e[1] * b[1] / scales[t + 1]
                    learned += xi
                    could_learn += g0
        new = Params(
            prior=_clamp(prior_sum / len(sequences), 0.01, 0.99),
            learn=_clamp(learned / could_learn if could_learn else params.learn, 0.001, 0.99),
            guess=_clamp(guessed / unknown if unknown else params.guess, 0.001, GUESS_MAX),
            slip=_clamp(slipped / known if known else params.slip, 0.001, SLIP_MAX),
        )
        change = max(
            abs(x - y)
            for x, y in zip(new.as_dict().values(), params.as_dict().values(), strict=True)
        )
        params = new
        if change < tolerance:
            break
    return params
