"""Routes of the answer review (participant) and the answer key (organizer publishes, public reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from services.quiz import review
from services.quiz.deps import Rt, authenticate
from shared.service import check_admin_token

router = APIRouter(tags=["quiz review"])
Auth = Annotated[str | None, Header(alias="Authorization")]


class PublishKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    published_by: Annotated[str, Field(min_length=2, max_length=100)]  # the organizer's name, kept with it


@router.get("/api/attempts/{attempt_id}/review")
async def attempt_review(attempt_id: str, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    """One's own attempt question by question with the correct option: 409 until the round closes."""
    who = authenticate(rt, authorization, "read")
    return await review.attempt_review(rt, who.id, attempt_id)


@router.get("/api/rounds/{round_id}/review")
async def round_review(round_id: str, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    """Every own attempt of a closed round (the review page)."""
    who = authenticate(rt, authorization, "read")
    return await review.round_review(rt, who.id, round_id)


@router.get("/api/rounds/{round_id}/key")
async def answer_key(round_id: str, rt: Rt) -> dict[str, Any]:
    """The published answer key of a closed round (public): 409 before the close, 404 until published."""
    return await review.answer_key(rt, round_id)


@router.post("/api/admin/rounds/{round_id}/publish-key", status_code=201)
async def publish_key(round_id: str, body: PublishKeyIn, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    check_admin_token(rt, authorization)
    return await review.publish_key(rt, round_id, " ".join(body.published_by.split()))


@router.get("/api/admin/rounds/{round_id}/items")
async def item_analysis(round_id: str, rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    """Item analysis for organizers: observed share correct next to each question's declared level."""
    check_admin_token(rt, authorization)
    return await review.item_analysis(rt, round_id)
