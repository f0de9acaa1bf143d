"""Official results as pure functions: prize tiers over a frozen board, canonical JSON, hashes, codes.

Ties follow the board's own rank rules: entries with the same rank are tied. A tie group that
straddles a prize boundary (e.g. three people tied for the last two second prizes) gets no prize
until an organizer records a decision naming the group's entrants in order, with a reason; the
results cannot be published while such a group is undecided. Nothing is ever decided silently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.contest import BoardPrizes, Contest

FORMAT = "contest-results/1"


@dataclass(frozen=True)
class Decision:
    entrant_ids: tuple[str, ...]  # the tie group, best first, as the organizer decided
    reason: str
    decided_by: str
    decided_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"entrant_ids": list(self.entrant_ids), "reason": self.reason, "decided_by": self.decided_by,
                "decided_at": self.decided_at}


@dataclass(frozen=True)
class Conflict:
    """A tie group across a prize boundary: `slots` are the prizes (tier id or None) its places carry."""

    rank: int
    entrant_ids: tuple[str, ...]
    slots: tuple[str | None, ...]

    def as_dict(self, names: Mapping[str, str]) -> dict[str, Any]:
        return {"rank": self.rank, "entrant_ids": list(self.entrant_ids),
                "places": [names.get(s, "Không có giải") if s else "Không có giải" for s in self.slots]}


@dataclass(frozen=True)
class Assignment:
    entries: list[dict[str, Any]]  # board entries in order, each with `prize` (tier id or None)
    conflicts: list[Conflict]
    applied: list[Decision]


def tie_groups(entries: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    groups: list[list[Mapping[str, Any]]] = []
    for e in entries:
        if groups and groups[-1][0]["rank"] == e["rank"]:
            groups[-1].append(e)
        else:
            groups.append([e])
    return groups


def assign(entries: Sequence[Mapping[str, Any]], prizes: BoardPrizes, decisions: Sequence[Decision]) -> Assignment:
    """Prize tiers for a board in rank order (best first)."""
    slots: list[str] = [t.id for t in prizes.tiers for _ in range(t.count)]
    by_group = {frozenset(d.entrant_ids): d for d in decisions}
    out: list[dict[str, Any]] = []
    conflicts: list[Conflict] = []
    applied: list[Decision] = []
    place = 0
    for group in tie_groups(entries):
        here = tuple(slots[i] if i < len(slots) else None for i in range(place, place + len(group)))
        place += len(group)
        if len(set(here)) == 1:
            out.extend({**e, "prize": here[0]} for e in group)
            continue
        decision = by_group.get(frozenset(e["entrant_id"] for e in group))
        if decision is None:
            conflicts.append(Conflict(group[0]["rank"], tuple(e["entrant_id"] for e in group), here))
            out.extend({**e, "prize": None, "undecided_tie": True} for e in group)
            continue
        applied.append(decision)
        prize_of = dict(zip(decision.entrant_ids, here, strict=True))
        out.extend({**e, "prize": prize_of[e["entrant_id"]], "decided_tie": True} for e in group)
    return Assignment(out, conflicts, applied)


def check_decision(entries: Sequence[Mapping[str, Any]], prizes: BoardPrizes, entrant_ids: Sequence[str]) -> str | None:
    """None when `entrant_ids` orders exactly one undecided boundary tie group, else why not."""
    if len(set(entrant_ids)) != len(entrant_ids):
        return "Danh sách có mã trùng nhau."
    wanted = frozenset(entrant_ids)
    for c in assign(entries, prizes, []).conflicts:
        if frozenset(c.entrant_ids) == wanted:
            return None
    return ("Danh sách không trùng khớp với một nhóm đồng hạng tại ranh giới giải: cần đúng các mã của nhóm đó "
            "(xem bản xem trước kết quả).")


def _finite(value: Any) -> Any:
    """JSON has no infinity or NaN: such a number becomes null (canonical, and parseable anywhere)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def content(contest: Contest, prizes: BoardPrizes, frozen_at: str, assignment: Assignment) -> dict[str, Any]:
    """What is published (and hashed): the frozen board with each entrant's prize."""
    names = {t.id: t.name for t in prizes.tiers}
    units = contest.units_by_id
    entries = []
    for e in assignment.entries:
        unit_id = e.get("unit_id")
        entries.append({
            "rank": e["rank"], "entrant_id": e["entrant_id"], "display_name": e["display_name"],
            "unit_id": unit_id, "unit_name": units[unit_id].name if unit_id in units else None,
            "score": e["score"], "details": e.get("details") or {},
            "prize": e["prize"], "prize_name": names.get(e["prize"]) if e["prize"] else None,
            "decided_tie": bool(e.get("decided_tie")),
        })
    return _finite({
        "format": FORMAT, "contest_id": contest.contest_id, "contest_title": contest.title,
        "organizer": contest.organizer, "board_id": prizes.board_id, "title": prizes.title or prizes.board_id,
        "frozen_at": frozen_at, "tiers": [{"id": t.id, "name": t.name, "count": t.count} for t in prizes.tiers],
        "decisions": [d.as_dict() for d in assignment.applied], "entries": entries,
    })


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8; the bytes the SHA-256 is taken over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def certificate_code(content_hash: str, entrant_id: str) -> str:
    """A short code for the verification URL: 10 base32 characters bound to the snapshot and entrant."""
    digest = hashlib.sha256(f"{content_hash}:{entrant_id}".encode()).digest()
    return base64.b32encode(digest).decode()[:10]


def winners(published: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [e for e in published["entries"] if e["prize"]]
