"""The metric rules against hand-computed values, edge cases included."""

import pytest

from zabota.surveys import metrics
from zabota.surveys.metrics import Scores


def test_nps_is_promoters_share_minus_detractors_share():
    # given 10 answers: 5 promoters (9–10), 3 passives (7–8), 2 detractors (0–6)
    # then 50 % − 20 % = 30
    assert metrics.nps(promoters=5, detractors=2, n=10) == pytest.approx(30.0)


def test_nps_without_answers_is_unknown_not_zero():
    assert metrics.nps(0, 0, 0) is None


def test_nps_of_only_passives_is_zero():
    assert metrics.nps(promoters=0, detractors=0, n=7) == 0


def test_nps_of_a_single_detractor_is_minus_hundred():
    assert metrics.nps(promoters=0, detractors=1, n=1) == -100


def test_nps_bands():
    assert [v for v in range(11) if metrics.is_detractor(v)] == [0, 1, 2, 3, 4, 5, 6]
    assert [v for v in range(11) if metrics.is_promoter(v)] == [9, 10]


@pytest.mark.parametrize(
    ("points", "top"),
    [(3, [3]), (5, [4, 5]), (7, [6, 7]), (10, [7, 8, 9, 10])],
)
def test_top_box_per_scale(points, top):
    """Top 40 % of the points, rounded down, at least one."""
    assert [v for v in range(1, points + 1) if metrics.is_top_box(v, points)] == top


def test_csat_is_share_of_top_box_answers():
    # 3 of 4 answers in the top box
    assert metrics.csat(top=3, n=4) == 75
    assert metrics.csat(0, 0) is None


def test_ces_mean_and_share_agreeing():
    # answers 7, 5, 4, 2 → mean 4.5; agree (5–7): 2 of 4
    answers = [7, 5, 4, 2]
    assert metrics.ces(sum(answers), len(answers)) == 4.5
    agree = sum(metrics.is_agree(a) for a in answers)
    assert metrics.ces_agree(agree, len(answers)) == 50
    assert metrics.ces(0, 0) is None
    assert metrics.ces_agree(0, 0) is None


def test_five_point_conversion_and_lowest():
    assert metrics.on_five_point_scale(1, 10) == 1
    assert metrics.on_five_point_scale(10, 10) == 5
    assert metrics.on_five_point_scale(2, 3) == 3
    # 7 of 10 → 1 + 6 × 4 / 9 = 3.67 → 4; 2 of 5 → 2
    assert metrics.lowest_on_five([(7, 10), (2, 5)]) == 2
    assert metrics.lowest_on_five([(7, 10)]) == 4
    assert metrics.lowest_on_five([]) is None


def test_scores_from_day_sums():
    # given two day rows summed: NPS 3 answers (2 promoters, 1 detractor); CSAT 2 of 4 top;
    # CES 3 answers summing 15, 2 agreeing; speed 2 answers 4.00 and 3.00 on 1–5
    day_one = Scores.of(
        {
            "responses": 3,
            "nps_n": 2,
            "nps_promoters": 2,
            "csat_n": 4,
            "csat_top": 2,
            "speed_n": 2,
            "speed_sum": 700,
        }
    )
    day_two = Scores.of(
        {
            "responses": 1,
            "nps_n": 1,
            "nps_detractors": 1,
            "ces_n": 3,
            "ces_sum": 15,
            "ces_agree": 2,
            "quality_sum": None,
        }
    )
    # when
    total = day_one + day_two
    # then
    assert total.responses == 4
    assert total.nps == pytest.approx(100 * (2 - 1) / 3)
    assert total.csat == 50
    assert total.ces == 5
    assert total.ces_agree_share == pytest.approx(200 / 3)
    assert total.speed == 3.5
    assert total.quality is None
    assert total.count("nps") == 3 and total.count("ces_agree") == 3


def test_empty_scores_have_no_metrics():
    empty = Scores()
    assert (empty.nps, empty.csat, empty.ces, empty.speed, empty.quality) == (None,) * 5
