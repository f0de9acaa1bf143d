"""HTTP routes (DESIGN §4, quiz): thin wrappers over the participant, attempt and bank flows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.quiz import attempts, participants
from services.quiz.deps import Rt, authenticate, json_response, limit_ip, request_ip
from shared.events import format_utc
from shared.text import MultiLine, PersonName

router = APIRouter(tags=["quiz"])
Auth = Annotated[str | None, Header(alias="Authorization")]


class In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterIn(In):
    full_name: Annotated[PersonName, Field(max_length=200)]
    phone: Annotated[str, Field(max_length=40)]
    unit_id: Annotated[str, Field(max_length=100)]
    birth_year: int | None = None


class OtpIn(In):
    phone: Annotated[str, Field(max_length=40)]


class VerifyIn(In):
    code: Annotated[str, Field(max_length=12)]


class LoginIn(In):
    phone: Annotated[str, Field(max_length=40)]
    code: Annotated[str, Field(max_length=12)]


class StartIn(In):
    round_id: Annotated[str, Field(min_length=1, max_length=100)]


class AnswerIn(In):
    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    option_key: Annotated[str, Field(max_length=8)] | None = None


class SavedAnswerIn(In):
    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    option_key: Annotated[str, Field(max_length=8)] | None = None
    # The client's sequence number (e.g. milliseconds since the epoch, strictly increasing): the highest wins.
    seq: Annotated[int, Field(ge=0, le=2**62)]


class SavedFreeIn(In):
    value: Annotated[str, Field(max_length=20_000)] | float | None = None
    seq: Annotated[int, Field(ge=0, le=2**62)]


class SaveIn(In):
    answers: Annotated[list[SavedAnswerIn], Field(max_length=500)] = []
    free_answer: SavedFreeIn | None = None


class SubmitIn(In):
    answers: Annotated[list[AnswerIn], Field(max_length=500)] = []
    free_answer: MultiLine | float | None = None


class Registered(BaseModel):
    participant_id: str
    token: str
    display_name: str
    unit_id: str
    masked_phone: str
    phone_verified: bool = False


class SubmitResult(BaseModel):
    attempt_id: str
    round_id: str
    correct: int
    total: int
    score: float
    duration_ms: int
    submitted_at: str


@router.get("/api/contest")
async def contest(rt: Rt) -> dict[str, Any]:
    """The public description of the running contest (no phone numbers, no answer keys)."""
    c, now = rt.contest, datetime.now(UTC)
    rules = c.quiz
    return {
        "contest_id": c.contest_id, "title": c.title, "organizer": c.organizer, "description": c.description,
        "time_zone": c.time_zone, "server_time": format_utc(now),
        "phases": [{"id": p.id, "kind": p.kind, "name": p.name, "opens_at": format_utc(p.opens_at),
                    "closes_at": format_utc(p.closes_at), "open": p.contains(now)} for p in c.phases],
        "rounds": [{"id": r.id, "name": r.name, "opens_at": format_utc(r.opens_at),
                    "closes_at": format_utc(r.closes_at), "open": r.contains(now)} for r in rules.rounds],
        "units": [{"id": u.id, "name": u.name, "kind": u.kind} for u in c.units],
        "free_question": {"question_id": rules.free_question.question_id, "kind": rules.free_question.kind,
                          "text": rules.free_question.text},
        "quiz": {"phase_id": rules.phase_id, "question_count": rules.question_count,
                 "time_limit_seconds": rules.time_limit_seconds, "grace_seconds": rules.grace_seconds,
                 "attempts_per_round": rules.attempts_per_round, "points_per_correct": rules.points_per_correct,
                 "speed_bonus_max_points": rules.speed_bonus.max_points,
                 "free_question_kind": rules.free_question.kind,
                 "require_verified_phone": rules.require_verified_phone},
    }


@router.post("/api/participants", status_code=201, response_model=Registered)
async def register(body: RegisterIn, request: Request, rt: Rt) -> dict[str, Any]:
    limit_ip(rt, request, "register")
    return await participants.register(rt, full_name=body.full_name, phone=body.phone, unit_id=body.unit_id,
                                       birth_year=body.birth_year, ip=request_ip(rt, request))


@router.post("/api/participants/otp", status_code=202)
async def request_otp(body: OtpIn, request: Request, rt: Rt) -> dict[str, Any]:
    """Send a one-time code to a registered phone (returning participants on a new device)."""
    limit_ip(rt, request, "otp")
    return await participants.request_otp(rt, body.phone, request_ip(rt, request))


@router.post("/api/participants/login", response_model=Registered)
async def login(body: LoginIn, request: Request, rt: Rt) -> dict[str, Any]:
    limit_ip(rt, request, "login")
    return await participants.login(rt, body.phone, body.code)


@router.post("/api/participants/me/otp", status_code=202)
async def request_verification(request: Request, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    """Send a one-time code to the signed-in participant's own phone, to prove it is theirs."""
    limit_ip(rt, request, "otp")
    who = authenticate(rt, authorization, "otp")
    return await participants.request_verification(rt, who.id, request_ip(rt, request))


@router.post("/api/participants/me/verify", response_model=Registered)
async def verify_phone(body: VerifyIn, request: Request, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    """The code proves the phone: answers a new token whose `pv` claim lets likes count."""
    limit_ip(rt, request, "login")
    who = authenticate(rt, authorization, "verify")
    return await participants.verify(rt, who.id, body.code)


@router.get("/api/participants/me")
async def me(rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    who = authenticate(rt, authorization, "read")
    return await participants.me(rt, who.id)


@router.post("/api/attempts", status_code=201)
async def start_attempt(body: StartIn, request: Request, rt: Rt, authorization: Auth = None) -> Response:
    limit_ip(rt, request, "start")
    who = authenticate(rt, authorization, "start")
    return json_response(await attempts.start(rt, who.id, body.round_id), 201)


@router.get("/api/attempts/{attempt_id}")
async def get_attempt(attempt_id: str, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    """Resume an attempt after a reload (same questions and deadline), or read its result."""
    who = authenticate(rt, authorization, "read")
    return await attempts.get(rt, who.id, attempt_id)


@router.post("/api/attempts/{attempt_id}/submit", response_model=SubmitResult)
async def submit_attempt(
    attempt_id: str, body: SubmitIn, request: Request, rt: Rt, authorization: Auth = None
) -> Response:
    limit_ip(rt, request, "submit")
    who = authenticate(rt, authorization, "submit")
    return json_response(await attempts.submit(
        rt, who.id, attempt_id, [(a.question_id, a.option_key) for a in body.answers], body.free_answer))


@router.patch("/api/attempts/{attempt_id}/answers")
async def save_answers(
    attempt_id: str, body: SaveIn, request: Request, rt: Rt, authorization: Auth = None
) -> Response:
    """Save answers while the attempt is open (idempotent; per question the highest `seq` wins), so a
    participant whose phone dies or loses the network before submitting still gets a result."""
    limit_ip(rt, request, "save")
    # Half a token: a page saves as the participant answers (the page itself sends at most one
    # save per ~1.5 s, coalescing the answers chosen meanwhile).
    who = authenticate(rt, authorization, "save", cost=0.5)
    free = (body.free_answer.value, body.free_answer.seq) if body.free_answer else None
    return json_response(await attempts.save_answers(
        rt, who.id, attempt_id, [(a.question_id, a.option_key, a.seq) for a in body.answers], free))
