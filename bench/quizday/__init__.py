"""Quiz-day simulation: load generator, fault drills and report (`make quizday`)."""
