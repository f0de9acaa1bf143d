"""The independent results checker: recompute every board from the source-of-truth databases of quiz,
initiatives and engagement (DESIGN §5, written again here on purpose, without the ranking code) and
diff against the ranking HTTP API. `python -m tests.audit --run-dir .run` (or `make audit`)."""

from tests.audit.check import AuditResult, Difference, audit, audit_until_converged

__all__ = ["AuditResult", "Difference", "audit", "audit_until_converged"]
