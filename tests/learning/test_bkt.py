"""BKT against values worked out by hand, and EM recovering known parameters."""

from __future__ import annotations

import random

import pytest

from learning import bkt

PARAMS = bkt.Params(prior=0.2, learn=0.15, guess=0.2, slip=0.1)


def test_a_right_answer_matches_the_hand_computation() -> None:
    # P(L|right) = 0.2*0.9 / (0.2*0.9 + 0.8*0.2) = 0.18/0.34 = 0.5294...
    # then learning: 0.5294 + (1 - 0.5294) * 0.15 = 0.6
    assert bkt.update(0.2, True, PARAMS) == pytest.approx(0.6)


def test_a_wrong_answer_matches_the_hand_computation() -> None:
    # P(L|wrong) = 0.2*0.1 / (0.2*0.1 + 0.8*0.8) = 0.02/0.66 = 0.030303
    # then learning: 0.030303 + 0.969697 * 0.15 = 0.175758
    assert bkt.update(0.2, False, PARAMS) == pytest.approx(0.02 / 0.66 + (1 - 0.02 / 0.66) * 0.15)
    assert bkt.update(0.2, False, PARAMS) == pytest.approx(0.175758, abs=1e-6)


def test_three_right_answers_reach_mastery_and_a_wrong_one_drops_below() -> None:
    # 0.6 -> 0.6*0.9/(0.54+0.08)=0.870968 -> +0.129032*0.15 = 0.890323
    # -> 0.890323*0.9/(0.801290+0.021935)=0.973353 -> +0.026647*0.15 = 0.977351
    values = bkt.trace([True, True, True], PARAMS)
    assert values == pytest.approx([0.6, 0.890323, 0.977351], abs=1e-6)
    assert values[-1] >= 0.95
    after_wrong = bkt.update(values[-1], False, PARAMS)
    assert after_wrong < 0.95 < values[-1]


def test_em_recovers_the_parameters_that_generated_the_answers() -> None:
    truth = bkt.Params(prior=0.3, learn=0.2, guess=0.15, slip=0.08)
    rng = random.Random(7)  # noqa: S311 - reproducible synthetic answers
    sequences = []
    for _ in range(600):
        known, answers = rng.random() < truth.prior, []
        for _ in range(8):
            answers.append(rng.random() < (1 - truth.slip if known else truth.guess))
            known = known or rng.random() < truth.learn
        sequences.append(answers)
    fitted = bkt.fit(sequences)
    assert fitted.prior == pytest.approx(truth.prior, abs=0.06)
    assert fitted.learn == pytest.approx(truth.learn, abs=0.06)
    assert fitted.guess == pytest.approx(truth.guess, abs=0.05)
    assert fitted.slip == pytest.approx(truth.slip, abs=0.05)


def test_em_keeps_guess_and_slip_meaningful_on_degenerate_data() -> None:
    # Students who always answer wrong after answering right would let EM swap the states.
    fitted = bkt.fit([[True, False, False, False]] * 50)
    assert fitted.guess <= bkt.GUESS_MAX and fitted.slip <= bkt.SLIP_MAX


def test_em_without_answers_keeps_the_starting_parameters() -> None:
    assert bkt.fit([]) == bkt.DEFAULT
    assert bkt.fit([[]]) == bkt.DEFAULT
