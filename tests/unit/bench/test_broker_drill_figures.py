"""Pure logic of the quiz day's broker-failure drills: which drills a command line selects, and the
per-drill figures (double-counting, submit p99 over the fault's window, the report's table)."""

from __future__ import annotations

import math
from types import SimpleNamespace

from bench.quizday import report
from bench.quizday.__main__ import parse
from bench.quizday.drill_figures import double_counted, figures, submit_window
from bench.quizday.drills import BROKER_DRILLS, DrillLog
from bench.quizday.recorder import SUBMIT, Recorder
from tests.audit.check import AuditResult, Difference


def test_all_has_the_broker_drills_only_on_a_three_node_kafka():
    on_cluster, _ = parse(["--broker", "kafka", "--brokers", "3", "--drills", "all"])
    on_tansu, _ = parse(["--drills", "all"])
    assert set(BROKER_DRILLS) <= set(on_cluster.drills)
    assert not set(BROKER_DRILLS) & set(on_tansu.drills) and "kill-quiz" in on_tansu.drills


def test_the_broker_group_expands_to_the_four_drills_in_order():
    params, _ = parse(["--broker", "kafka", "--brokers", "3", "--drills", "broker,kill-quiz"])
    assert params.drills == ["kafka-kill-leader", "kafka-pause", "kafka-rolling-restart", "kafka-two-down",
                             "kill-quiz"]


def test_broker_drills_without_the_cluster_are_refused(capsys):
    try:
        parse(["--broker", "kafka", "--drills", "kafka-pause"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("accepted a broker drill on one node")
    assert "--brokers 3" in capsys.readouterr().err


def test_double_counted_is_a_board_value_above_its_recomputation():
    audit = AuditResult(differences=[
        Difference("quiz.individual.all", "p1", "score", 7.0, 14.0),  # applied twice
        Difference("quiz.individual.all", "p2", "score", 7.0, 3.0),  # missing, not doubled
        Difference("quiz.individual.all", "p3", "rank", 2, 3),  # a rank moves with any difference
        Difference("engagement.all", "c1", "details.likes", 4, 5),
        Difference("quiz.individual.all", "p4", "unexpected entry", None, {"rank": 9}),
    ])
    assert double_counted(audit) == 3
    assert double_counted(AuditResult()) == 0


def test_submit_p99_covers_only_requests_started_while_the_fault_lasted():
    rec = Recorder()
    rec.timed[SUBMIT] = [(1.0, 9.0, 200)] + [(10.0 + i / 10, 0.1, 200) for i in range(99)] + \
                        [(15.0, 2.5, 503), (16.0, 0.0, "refused"), (40.0, 30.0, 200)]
    n, refused, p99 = submit_window(rec, 10.0, 20.0)
    assert (n, refused) == (100, 1)
    assert p99 == 0.1  # nearest rank 99 of 100: the 2.5 s answer is the 100th
    n, _, p99 = submit_window(rec, 10.0, 41.0)
    assert n == 101 and p99 == 2.5


def test_figures_and_the_report_table():
    rec = Recorder()
    rec.timed[SUBMIT] = [(12.0, 0.4, 200), (13.0, 0.6, 200)]
    log = DrillLog("kafka-two-down", fault_started=10.0, fault_lifted=40.0, in_sync_after=12.5, fresh_after=3.25)
    fig = figures(rec, log, AuditResult(), acked=[{"attempt_id": "a"}] * 5, lost=[], dups=0)
    assert fig.ok and fig.fault_seconds == 30.0 and fig.submits_during == 2 and math.isclose(fig.submit_p99_ms, 600)
    seg = SimpleNamespace(drill="kafka-two-down", ok=True, figures=fig)
    table = "\n".join(report.broker_drill_table([seg, SimpleNamespace(drill="kill-quiz", ok=True, figures=None)]))
    assert "| kafka-two-down | ok | 5 | 0 | 0 | 0 | 30.00 | 2 (0) | 600 | 12.50 | 3.25 | 0 |" in table
    assert "kill-quiz" not in table
    lost = figures(rec, log, AuditResult(), acked=[{"attempt_id": "a"}], lost=["a: absent"], dups=0)
    assert not lost.ok
