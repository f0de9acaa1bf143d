"""Engagement: signed ingestion from platforms, de-duplication, anti-fraud, content-liked events."""
