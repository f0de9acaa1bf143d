"""The contest file (shared/contest.py): the demo loads; a wrong file stops with the field named."""

from __future__ import annotations

import copy
import json
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.contest import Contest, ContestFileError, bank_path, load_contest
from tools.demo_contest import contest_dict, write_contest

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, contest: dict[str, Any]) -> Path:
    return write_contest(tmp_path / "contest.yaml", contest)


def load_error(path: Path) -> str:
    with pytest.raises(ContestFileError) as info:
        load_contest(path)
    assert isinstance(info.value, SystemExit)  # a clean stop, not a traceback
    return str(info.value.code)


def test_demo_contest_cli_output_loads(tmp_path: Path):
    out = tmp_path / "run" / "contest.yaml"
    done = subprocess.run([sys.executable, "-m", "tools.demo_contest", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    contest = load_contest(out)
    assert isinstance(contest, Contest)
    assert contest.contest_id == "unghoa-cds-2025"
    assert len(contest.units) >= 29 and "van-dinh" in contest.units_by_id
    assert {p.id for p in contest.phases} == {"quiz", "initiatives", "stage"}
    now = datetime.now(UTC)
    assert contest.phase("quiz").contains(now), "the demo's windows are open now"
    assert any(r.contains(now) for r in contest.quiz.rounds)
    bank = bank_path(out, contest)
    assert bank is not None and json.loads(bank.read_text(encoding="utf-8"))["questions"]
    assert contest.quiz.free_question.kind == "essay"


def test_demo_prediction_variant_loads(tmp_path: Path):
    contest = load_contest(write(tmp_path, contest_dict(free_kind="prediction")))
    assert contest.quiz.free_question.kind == "prediction"


def _bad(**patch: Any) -> dict[str, Any]:
    doc = copy.deepcopy(contest_dict())
    for dotted, value in patch.items():
        target: Any = doc
        parts = dotted.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return doc


def _weights(a: float, b: float, c: float) -> dict[str, Any]:
    return {"criteria": [
        {"id": "feasibility", "name": "Khả thi", "weight": a},
        {"id": "impact", "name": "Tác động", "weight": b},
        {"id": "novelty", "name": "Sáng tạo", "weight": c},
    ]}


BAD_CONTESTS = [
    # (id, contest document, pieces the message must contain)
    ("rubric-weights-not-1", _bad(initiatives__rubric=_weights(0.3, 0.4, 0.4)),
     ["initiatives.rubric", "sum to 1"]),
    ("stage-weights-not-1", _bad(stage__rubric=_weights(0.5, 0.5, 0.5)), ["stage.rubric", "sum to 1"]),
    ("blend-not-1", _bad(initiatives__weights={"judges": 0.7, "engagement": 0.4}), ["initiatives.weights"]),
    ("unknown-unit-field", _bad(units=[{"id": "van-dinh", "name": "Vân Đình", "kind": "town", "area": 12}]),
     ["units.0.area", "extra"]),
    ("unknown-top-level-field", _bad(sponsor="x"), ["sponsor"]),
    ("bad-unit-kind", _bad(units=[{"id": "van-dinh", "name": "Vân Đình", "kind": "city"}]), ["units.0.kind"]),
    ("duplicate-unit", _bad(units=[{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]),
     ["duplicate unit id"]),
    ("bad-time-zone", _bad(time_zone="Mars/Olympus_Mons"), ["time_zone", "Mars/Olympus_Mons"]),
    ("round-closes-before-opens", _bad(quiz__rounds__1__closes_at="2020-01-01T00:00:00+07:00"),
     ["quiz.rounds.1", "closes_at must be after opens_at"]),
    ("phase-closes-before-opens", _bad(phases__0__closes_at="2020-01-01T00:00:00+07:00"),
     ["phases.0", "closes_at"]),
    ("naive-window", _bad(phases__1__opens_at="2025-01-01T00:00:00"), ["phases.1.opens_at"]),
    ("quiz-phase-unknown", _bad(quiz__phase_id="no-such-phase"), ["quiz.phase_id"]),
    ("negative-points", _bad(quiz__points_per_correct=-5), ["quiz.points_per_correct"]),
    ("bad-free-kind", _bad(quiz__free_question={"question_id": "x", "kind": "poem", "text": "?"}),
     ["quiz.free_question.kind"]),
    ("zero-attempts", _bad(quiz__attempts_per_round=0), ["quiz.attempts_per_round"]),
    ("bad-slug", _bad(contest_id="Không Hợp Lệ"), ["contest_id"]),
    ("missing-stage", {k: v for k, v in contest_dict().items() if k != "stage"}, ["stage", "required"]),
    ("missing-bank-file", _bad(quiz__bank_file="missing-bank.json"), ["quiz.bank_file", "missing-bank.json"]),
]


@pytest.mark.parametrize(("doc", "pieces"), [c[1:] for c in BAD_CONTESTS], ids=[c[0] for c in BAD_CONTESTS])
def test_wrong_contest_file_stops_with_the_field_named(
    tmp_path: Path, doc: dict[str, Any], pieces: list[str]
):
    path = write(tmp_path, doc)
    message = load_error(path)
    assert str(path) in message
    for piece in pieces:
        assert piece.lower() in message.lower(), message
    assert "Traceback" not in message


def test_missing_contest_file(tmp_path: Path):
    assert "does not exist" in load_error(tmp_path / "nope.yaml")


def test_not_yaml_and_not_a_mapping(tmp_path: Path):
    bad = tmp_path / "c.yaml"
    bad.write_text("contest_id: [unclosed\n", encoding="utf-8")
    assert "not valid YAML" in load_error(bad)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    assert "mapping" in load_error(bad)


def test_missing_units_file_is_a_clean_stop(tmp_path: Path):
    doc = contest_dict()
    doc["units_file"] = "no-units.json"
    path = write(tmp_path, doc)
    message = load_error(path)
    assert "units_file" in message and "no-units.json" in message


@pytest.mark.parametrize("content", ["{not json", '{"no_units_key": []}', "[]"],
                         ids=["invalid-json", "no-units-key", "not-an-object"])
def test_broken_units_file_is_a_clean_stop(tmp_path: Path, content: str):
    path = write(tmp_path, contest_dict())
    (tmp_path / "units.json").write_text(content, encoding="utf-8")
    assert "units_file" in load_error(path)


def test_wrong_file_exits_the_process_with_the_message(tmp_path: Path):
    path = write(tmp_path, _bad(initiatives__rubric=_weights(0.5, 0.4, 0.4)))
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from shared.contest import load_contest; load_contest(sys.argv[1])", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert "initiatives.rubric" in done.stderr and "sum to 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_settings_load_contest_stops_service_start(tmp_path: Path):
    from shared.settings import ServiceSettings

    path = write(tmp_path, _bad(time_zone="Nowhere/Atlantis"))
    settings = ServiceSettings(service_name="svc", environment="test", contest_file=path,
                               CONTEST_ADMIN_TOKEN=secrets.token_urlsafe(32))
    with pytest.raises(SystemExit) as info:
        settings.load_contest()
    assert "time_zone" in str(info.value.code)


def test_yaml_written_by_the_demo_is_plain(tmp_path: Path):
    path = write(tmp_path, contest_dict())
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["units_file"] == "units.json" and (tmp_path / "questions.json").is_file()
