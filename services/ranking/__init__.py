"""Ranking: leaderboards per phase and window from the quiz, engagement and judging streams."""
