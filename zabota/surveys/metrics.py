"""The survey metrics as pure functions: the one place their rules are written down.

- **NPS** (0–10): promoters answer 9–10, passives 7–8, detractors 0–6;
  NPS = % promoters − % detractors, from −100 to 100. No answers: None (not 0: nothing is known);
  only passives: 0.
- **CSAT**: the share (%) of *top-box* answers. On the usual 1–5 scale the top box is the top two
  points (4 and 5). The rule for every scale: the top 40 % of the points, rounded down, at least
  one point — 1–3: 3; 1–5: 4–5; 1–7: 6–7; 1–10: 7–10 (:func:`is_top_box`). The answering code
  counts ``ScoreDay.csat_top`` with the same function.
- **CES** (agreement 1–7, "it was easy to …"): the mean answer, and the share (%) that agree
  (5–7: somewhat, agree, strongly agree) (:func:`is_agree`).
- **Speed and quality** of a solution: the mean on a 1–5 scale; answers on other scales are
  converted linearly (1 stays 1, the top stays 5: :func:`on_five_point_scale`).

Reports read these from ``ScoreDay`` sums (:class:`Scores`), never from the responses one by one.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from zabota.surveys.constants import CES_MAX

# NPS bands.
PROMOTER_AT_LEAST = 9
DETRACTOR_AT_MOST = 6
# CES: answers from this point up agree that it was easy.
CES_AGREE_AT_LEAST = 5


def is_promoter(value: int) -> bool:
    return value >= PROMOTER_AT_LEAST


def is_detractor(value: int) -> bool:
    return value <= DETRACTOR_AT_MOST


def top_box_points(points: int) -> int:
    """How many of a 1–``points`` scale's highest points are the top box: 40 % of the points,
    rounded down, at least one (3 → 1, 5 → 2, 7 → 2, 10 → 4)."""
    return max(1, points * 2 // 5)


def is_top_box(value: int, points: int) -> bool:
    """Whether an answer ``value`` on a 1–``points`` rating scale counts as satisfied (CSAT)."""
    return value > points - top_box_points(points)


def is_agree(value: int) -> bool:
    """Whether a CES answer (1–7) agrees that it was easy."""
    return CES_AGREE_AT_LEAST <= value <= CES_MAX


def on_five_point_scale(value: int, points: int) -> float:
    """A 1–``points`` answer on the 1–5 scale (speed, quality, the ``lowest`` of an event and
    the follow-up threshold are compared there): 1 → 1, ``points`` → 5, linear between."""
    if points <= 1:
        return 5.0
    return 1 + (value - 1) * 4 / (points - 1)


def round_half_up(value: float) -> int:
    """Rounding as people do it (2.5 → 3), not Python's banker's rounding."""
    return math.floor(value + 0.5)


def lowest_on_five(ratings: Iterable[tuple[int | None, int]]) -> int | None:
    """The lowest of (answer, points) ratings on the 1–5 scale, rounded half up (the
    ``lowest`` of a ``survey.answered`` event); None without ratings (unanswered ones are
    skipped)."""
    return min(
        (
            round_half_up(on_five_point_scale(value, points))
            for value, points in ratings
            if value is not None
        ),
        default=None,
    )


def _share(part: int, n: int) -> float | None:
    return None if n <= 0 else 100 * part / n


def nps(promoters: int, detractors: int, n: int) -> float | None:
    """% promoters − % detractors of ``n`` NPS answers; None without answers."""
    if n <= 0:
        return None
    return 100 * (promoters - detractors) / n


def csat(top: int, n: int) -> float | None:
    """% of the ``n`` CSAT answers in the top box; None without answers."""
    return _share(top, n)


def ces(total: int, n: int) -> float | None:
    """The mean of ``n`` CES answers (1–7) summing to ``total``; None without answers."""
    return None if n <= 0 else total / n


def ces_agree(agree: int, n: int) -> float | None:
    """% of the ``n`` CES answers that agree (5–7); None without answers."""
    return _share(agree, n)


def mean_on_five(total_x100: int, n: int) -> float | None:
    """The mean of ``n`` answers stored on the 1–5 scale ×100 (``ScoreDay.speed_sum``)."""
    return None if n <= 0 else total_x100 / n / 100


# The ScoreDay columns the reports add up.
SUMMED = (
    "responses",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
    "csat_n",
    "csat_top",
    "csat_sum",
    "ces_n",
    "ces_sum",
    "ces_agree",
    "speed_n",
    "speed_sum",
    "quality_n",
    "quality_sum",
)


@dataclass(frozen=True)
class Scores:
    """Summed ``ScoreDay`` columns of some responses, and the metrics they give."""

    responses: int = 0
    nps_n: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    csat_n: int = 0
    csat_top: int = 0
    csat_sum: int = 0
    ces_n: int = 0
    ces_sum: int = 0
    ces_agree: int = 0
    speed_n: int = 0
    speed_sum: int = 0
    quality_n: int = 0
    quality_sum: int = 0

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> "Scores":
        """From a row of sums (a ``values().annotate(Sum…)`` row; missing or NULL sums are 0)."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    def __add__(self, other: "Scores") -> "Scores":
        return Scores(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def nps(self) -> float | None:
        return nps(self.nps_promoters, self.nps_detractors, self.nps_n)

    @property
    def nps_passives(self) -> int:
        return self.nps_n - self.nps_promoters - self.nps_detractors

    @property
    def csat(self) -> float | None:
        return csat(self.csat_top, self.csat_n)

    @property
    def ces(self) -> float | None:
        return ces(self.ces_sum, self.ces_n)

    @property
    def ces_agree_share(self) -> float | None:
        return ces_agree(self.ces_agree, self.ces_n)

    @property
    def speed(self) -> float | None:
        return mean_on_five(self.speed_sum, self.speed_n)

    @property
    def quality(self) -> float | None:
        return mean_on_five(self.quality_sum, self.quality_n)

    def metric(self, name: str) -> float | None:
        """A metric by name: nps, csat, ces, ces_agree, speed or quality."""
        return self.ces_agree_share if name == "ces_agree" else getattr(self, name)

    def count(self, name: str) -> int:
        """The number of answers a metric is computed from."""
        return self.ces_n if name == "ces_agree" else int(getattr(self, f"{name}_n"))
