"""The declarative contest file (DESIGN §5): phases, rounds, rules, rubrics, weights, units.

Validated by pydantic at start-up; a wrong file stops the service with a message naming the field.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(Model):
    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment < self.closes_at


class Unit(Model):
    id: Slug
    name: Annotated[str, Field(min_length=1)]
    kind: Literal["town", "commune", "agency", "other"] = "commune"
    population: Annotated[int, Field(gt=0)] | None = None


class Phase(Window):
    id: Slug
    kind: Literal["quiz", "initiatives", "stage"]
    name: Annotated[str, Field(min_length=1)]


Level = Literal["easy", "medium", "hard"]
LEVEL_NAMES: dict[str, str] = {"easy": "dễ", "medium": "trung bình", "hard": "khó"}


class Blueprint(Model):
    """How one paper is built: exactly `levels[l]` questions of each level, and at least
    `topics[t]` questions of each named topic (every attempt of the round gets such a paper)."""

    levels: dict[Level, Annotated[int, Field(ge=0)]]
    topics: dict[Slug, Annotated[int, Field(ge=1)]] = {}

    @property
    def size(self) -> int:
        return sum(self.levels.values())


class Round(Window):
    id: Slug
    name: Annotated[str, Field(min_length=1)]
    blueprint: Blueprint | None = None  # None: questions drawn uniformly from the bank


class SpeedBonus(Model):
    """Optional bonus for fast completion: `max_points` at 0 s, falling linearly to 0 at the limit."""

    max_points: Annotated[float, Field(ge=0)] = 0.0


class FreeQuestion(Model):
    question_id: Slug
    kind: Literal["essay", "prediction"]
    text: Annotated[str, Field(min_length=1)]
    essay_weight: Annotated[float, Field(ge=0)] = 0.0  # points added per essay point (0–100 scale)
    reference_value: float | None = None  # prediction's final answer, when known up front


class QuizRules(Model):
    phase_id: Slug = "quiz"
    question_count: Annotated[int, Field(ge=1, le=200)] = 20
    time_limit_seconds: Annotated[int, Field(ge=10)] = 900
    grace_seconds: Annotated[int, Field(ge=0, le=300)] = 10
    attempts_per_round: Annotated[int, Field(ge=1)] = 3
    points_per_correct: Annotated[float, Field(gt=0)] = 5.0
    speed_bonus: SpeedBonus = SpeedBonus()
    free_question: FreeQuestion
    bank_file: str | None = None  # JSON bank loaded at start-up when the bank is empty
    rounds: Annotated[list[Round], Field(min_length=1)]
    excluded_phones: list[str] = []  # organizers and judges cannot take part
    # Attempts start only once a one-time code proved the participant's phone (issue 12); off by default.
    require_verified_phone: bool = False

    @field_validator("rounds")
    @classmethod
    def _unique_rounds(cls, rounds: list[Round]) -> list[Round]:
        _require_unique([r.id for r in rounds], "round id")
        return rounds

    @model_validator(mode="after")
    def _blueprints_fit(self) -> QuizRules:
        for r in self.rounds:
            bp = r.blueprint
            if bp is None:
                continue
            if bp.size != self.question_count:
                raise ValueError(f"round {r.id!r}: blueprint levels add up to {bp.size} questions, "
                                 f"question_count is {self.question_count}")
            if sum(bp.topics.values()) > self.question_count:
                raise ValueError(f"round {r.id!r}: blueprint topic minimums need more than "
                                 f"{self.question_count} questions")
        return self


class Criterion(Model):
    id: Slug
    name: Annotated[str, Field(min_length=1)]
    weight: Annotated[float, Field(gt=0, le=1)]
    max: Annotated[float, Field(gt=0)] = 10.0


class Rubric(Model):
    criteria: Annotated[list[Criterion], Field(min_length=1)]

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> Rubric:
        _require_unique([c.id for c in self.criteria], "criterion id")
        total = sum(c.weight for c in self.criteria)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"criteria weights must sum to 1 (they sum to {total:g})")
        return self


class Blend(Model):
    judges: Annotated[float, Field(ge=0, le=1)] = 0.7
    engagement: Annotated[float, Field(ge=0, le=1)] = 0.3

    @model_validator(mode="after")
    def _sum(self) -> Blend:
        if abs(self.judges + self.engagement - 1.0) > 1e-6:
            raise ValueError("judges + engagement weights must sum to 1")
        return self


class InitiativeRules(Model):
    phase_id: Slug = "initiatives"
    fields: dict[Slug, str] = {
        "chinh-quyen-so": "Chính quyền số",
        "kinh-te-so": "Kinh tế số",
        "xa-hoi-so": "Xã hội số",
    }
    rubric: Rubric
    weights: Blend = Blend()
    action_weights: dict[Literal["like", "share", "comment", "view"], float] = {
        "like": 1.0,
        "share": 3.0,
        "comment": 2.0,
        "view": 0.0,
    }


class StageRules(Model):
    phase_id: Slug = "stage"
    rubric: Rubric
    aggregation: Literal["mean", "trimmed_mean"] = "trimmed_mean"
    trim_min_judges: Annotated[int, Field(ge=3)] = 5


class EssayRules(Model):
    rubric: Rubric


class SpikeRule(Model):
    window_seconds: Annotated[int, Field(ge=1)] = 60
    new_actors: Annotated[int, Field(ge=2)] = 50  # more new actors on one content within the window


class EngagementRules(Model):
    daily_cap_per_actor: dict[Literal["share", "comment", "view"], int] = {
        "share": 3,
        "comment": 5,
        "view": 20,
    }
    count_views: bool = False
    spike: SpikeRule = SpikeRule()
    max_batch: Annotated[int, Field(ge=1, le=1000)] = 1000


_BOARD = r"^[a-z0-9][a-z0-9_-]{0,63}\.[a-z]+\.(all|round-[a-z0-9][a-z0-9_.-]{0,63}|day-\d{4}-\d{2}-\d{2})$"


class PrizeTier(Model):
    id: Slug
    name: Annotated[str, Field(min_length=1, max_length=100)]  # as printed: "Giải Nhất"
    count: Annotated[int, Field(ge=1, le=1000)]


class BoardPrizes(Model):
    """The prizes of one board, best tier first (e.g. 1 first, 2 second, 3 third, 10 consolation)."""

    board_id: Annotated[str, Field(pattern=_BOARD)]
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None  # "Kết quả vòng thi Tuần 1"
    tiers: Annotated[list[PrizeTier], Field(min_length=1)]

    @field_validator("tiers")
    @classmethod
    def _unique_tiers(cls, tiers: list[PrizeTier]) -> list[PrizeTier]:
        _require_unique([t.id for t in tiers], "prize tier id")
        return tiers


class Contest(Model):
    contest_id: Slug
    title: Annotated[str, Field(min_length=1)]
    organizer: str = ""
    description: str = ""
    time_zone: str = "Asia/Ho_Chi_Minh"
    population: Annotated[int, Field(gt=0)] | None = None
    units: Annotated[list[Unit], Field(min_length=1)]
    phases: Annotated[list[Phase], Field(min_length=1)]
    quiz: QuizRules
    initiatives: InitiativeRules
    stage: StageRules
    essays: EssayRules | None = None
    engagement: EngagementRules = EngagementRules()
    prizes: list[BoardPrizes] = []

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Contest:
        _require_unique([u.id for u in self.units], "unit id")
        _require_unique([p.id for p in self.phases], "phase id")
        phase_ids = {p.id for p in self.phases}
        for section, pid in (
            ("quiz", self.quiz.phase_id),
            ("initiatives", self.initiatives.phase_id),
            ("stage", self.stage.phase_id),
        ):
            if pid not in phase_ids:
                raise ValueError(f"{section}.phase_id {pid!r} is not one of the phases")
        _require_unique([p.board_id for p in self.prizes], "prizes board_id")
        return self

    # --- derived views (pure) ---
    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def units_by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.units}

    def phase(self, phase_id: str) -> Phase:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)

    def prizes_for(self, board_id: str) -> BoardPrizes | None:
        return next((p for p in self.prizes if p.board_id == board_id), None)

    def quiz_settled_at(self, closes_at: datetime) -> datetime:
        """When nothing can change a quiz window closing at `closes_at` any more: an attempt started
        just before the close may still be submitted until its time limit and grace have passed."""
        return closes_at + timedelta(seconds=self.quiz.time_limit_seconds + self.quiz.grace_seconds)

    def round(self, round_id: str) -> Round | None:
        return next((r for r in self.quiz.rounds if r.id == round_id), None)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def essay_rubric(self) -> Rubric:
        return self.essays.rubric if self.essays else self.initiatives.rubric


class ContestFileError(SystemExit):
    """Raised (as a clean exit) when the contest file is missing or invalid."""


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"duplicate {what} {v!r}")
        seen.add(v)


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"contest file {path} is invalid:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  - {loc}: {err['msg']}")
    return "\n".join(lines)


def parse_contest(raw: dict, *, source: Path = Path("<memory>")) -> Contest:
    try:
        return Contest.model_validate(raw)
    except ValidationError as exc:
        raise ContestFileError(_format_errors(source, exc)) from None


def load_contest(path: str | Path) -> Contest:
    """Read and validate a contest YAML file; exits with a message naming the bad field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContestFileError(f"contest file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ContestFileError(f"contest file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ContestFileError(f"contest file {path} must be a mapping at the top level")
    units_file = raw.pop("units_file", None)
    if units_file and "units" not in raw:
        units_path = path.parent / str(units_file)
        try:
            raw["units"] = json.loads(units_path.read_text(encoding="utf-8"))["units"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ContestFileError(
                f"contest file {path} is invalid:\n  - units_file: cannot read units from {units_path}"
                f" ({type(exc).__name__}: {exc})"
            ) from None
    contest = parse_contest(raw, source=path)
    if contest.quiz.bank_file:
        bank = path.parent / contest.quiz.bank_file
        if not bank.is_file():
            raise ContestFileError(f"contest file {path} is invalid:\n  - quiz.bank_file: {bank} not found")
    return contest


def bank_path(contest_file: str | Path, contest: Contest) -> Path | None:
    if not contest.quiz.bank_file:
        return None
    return Path(contest_file).parent / contest.quiz.bank_file
