"""Initiatives and judging: submissions, gallery, staff accounts, rubrics, judge scores, essays, stage."""
