"""Organizer routes: question bank import (JSON, CSV, XLSX) and the list of bank versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.datastructures import UploadFile

from services.quiz import bank, bank_checks, store
from services.quiz.deps import Rt
from services.quiz.domain import Question
from shared.errors import ContestError
from shared.service import Runtime, check_admin_token

router = APIRouter(tags=["quiz admin"])
Auth = Annotated[str | None, Header(alias="Authorization")]


async def import_bank(rt: Runtime, questions: list[Question], *, round_id: str | None, source: str) -> dict:
    async with rt.pool.acquire() as conn:
        version = await store.insert_bank(conn, contest_id=rt.contest.contest_id, round_id=round_id,
                                          source=source, questions=questions)
    return {"version": version, "round_id": round_id, "question_count": len(questions), "source": source}


async def _read_upload(request: Request) -> tuple[bytes, str | None, str | None]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ContestError(422, "missing_file", "Hãy chọn tệp ngân hàng câu hỏi (trường 'file').")
        return await upload.read(), upload.filename, upload.content_type
    return await request.body(), None, ctype


@router.post("/api/admin/questions", status_code=201)
async def upload_questions(
    request: Request, rt: Rt, authorization: Auth = None,
    round_id: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """Import a bank (JSON body, or a .json/.csv/.xlsx file as multipart `file` or raw body).

    Every row is checked; any error rejects the whole file (422 with `details` = row errors) and
    imports nothing. A successful import becomes the current version; running attempts keep theirs.
    """
    check_admin_token(rt, authorization)
    if round_id is not None and rt.contest.round(round_id) is None:
        raise ContestError(422, "unknown_round", f"Không có vòng thi {round_id!r}.")
    data, filename, ctype = await _read_upload(request)
    if not data:
        raise ContestError(422, "empty_file", "Tệp tải lên trống.")
    fmt = bank.detect_format(filename, ctype, data)
    questions = bank.parse_bank(data, fmt)
    await bank_checks.check_import(rt, questions, round_id)
    return await import_bank(rt, questions, round_id=round_id, source=filename or f"upload.{fmt}")


@router.get("/api/admin/questions")
async def list_banks(rt: Rt, authorization: Auth = None) -> dict[str, Any]:
    check_admin_token(rt, authorization)
    async with rt.pool.acquire() as conn:
        versions = await store.list_banks(conn, rt.contest.contest_id)
    return {"versions": [{**v, "created_at": v["created_at"].isoformat()} for v in versions]}
