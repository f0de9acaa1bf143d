"""Initiatives and stage boards (a mixin of `RankingIndex`): judges' latest totals, net engagement
per actor, titles from `initiative-published`; small boards, recomputed whole when marked dirty."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.ranking import domain as d
from services.ranking.board import Row

if TYPE_CHECKING:
    from collections.abc import Iterable


class EntryBoards:
    def add_judge_totals(self, totals: Iterable[d.JudgeTotal]) -> None:
        essays: list[d.JudgeTotal] = []
        stage: set[str] = set()
        for t in totals:
            if t.subject_type == "attempt":
                if t.phase_id == self.quiz_phase:
                    essays.append(t)
                continue
            judges = self.judges.setdefault((t.phase_id, t.subject_type, t.subject_id), {})
            if not d.newer_revision(judges.get(t.judge_id), t):
                continue
            judges[t.judge_id] = t
            if t.phase_id == self.ini_phase:
                self.ini_dirty = True
            elif t.phase_id == self.stage_phase:
                stage.add(t.subject_id)
        if essays:
            self.add_essay_totals(essays)
        for sid in stage:
            self._recompute_stage(sid)

    def add_engagement(self, deltas: Iterable[d.ActorEngagement]) -> None:
        for delta in deltas:
            k = (delta.content_id, delta.platform, delta.actor_id)
            old = self.engagement.get(k)
            new = d.merge_engagement(old, delta)
            self.engagement[k] = new
            per = self.counts.setdefault(delta.content_id, {}).setdefault(
                delta.platform, {"like": 0, "share": 0, "comment": 0, "view": 0})
            per["like"] += int(new.liked) - int(bool(old and old.liked))
            per["share"] += delta.shares
            per["comment"] += delta.comments
            per["view"] += delta.views
            self.ini_dirty = True

    def set_meta(self, metas: Iterable[d.InitiativeMeta]) -> None:
        for m in metas:
            if d.newer_meta(self.meta.get(m.initiative_id), m):
                self.meta[m.initiative_id] = m
                self.ini_dirty = True
                if (self.stage_phase, "initiative", m.initiative_id) in self.judges:
                    self._recompute_stage(m.initiative_id)

    def _names(self, sid: str) -> tuple[str, str | None, dict[str, Any]]:
        m = self.meta.get(sid)
        if m is None:
            return sid, None, {}
        return m.title, m.unit_id, {"title": m.title, "field": m.field}

    def _recompute_initiatives(self) -> None:
        self.ini_dirty = False
        rules = self.contest.initiatives
        ids = {sid for (phase, kind, sid) in self.judges if phase == self.ini_phase and kind == "initiative"}
        ids |= set(self.counts)
        ids |= {i for i, m in self.meta.items() if m.phase_id == self.ini_phase and m.status == "published"}
        ids = {i for i in ids if not (i in self.meta and self.meta[i].status == "withdrawn")}
        weights = dict(rules.action_weights)
        points = {i: d.engagement_points(self.counts.get(i, {}), weights) for i in ids}
        top = max(points.values(), default=0.0)
        items = []
        for sid in ids:
            judges = self.judges.get((self.ini_phase, "initiative", sid), {})
            judge = d.mean([t.total for t in judges.values()])
            eng = d.engagement_score(points[sid], top)
            final = d.rounded(d.blended(judge, eng, rules.weights.judges, rules.weights.engagement))
            name, unit, extra = self._names(sid)
            details = {
                **extra, "judge_score": d.rounded(judge),
                "judges": {j: {"total": t.total, "revision": t.revision} for j, t in sorted(judges.items())},
                "engagement": {p: dict(c) for p, c in self.counts.get(sid, {}).items()},  # a copy: counts mutate
                "engagement_points": d.rounded(points[sid]),
                "max_engagement_points": d.rounded(top), "engagement_score": d.rounded(eng),
                "weights": {"judges": rules.weights.judges, "engagement": rules.weights.engagement},
            }
            items.append((sid, (-final,), Row(sid, name, unit, final, details)))
        self.board(f"{self.ini_phase}.entry.all").replace_all(items)

    def _recompute_stage(self, sid: str) -> None:
        rules = self.contest.stage
        judges = self.judges.get((self.stage_phase, "initiative", sid), {})
        board = self.board(f"{self.stage_phase}.entry.all")
        if not judges:
            board.drop(sid)
            return
        values = [t.total for t in judges.values()]
        stage = d.stage_score(values, rules.aggregation, rules.trim_min_judges)
        score = d.rounded(stage.score)
        name, unit, extra = self._names(sid)
        details = {
            **extra, "aggregation": stage.aggregation, "judge_count": len(values),
            "judges": {j: {"total": t.total, "revision": t.revision} for j, t in sorted(judges.items())},
        }
        if stage.dropped is not None:
            details["dropped"] = list(stage.dropped)
        board.put(sid, (-score,), Row(sid, name, unit, score, details))
