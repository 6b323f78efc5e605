"""Evaluation: datasets of questions with gold answers and documents, metrics, runs, reports, the CI gate."""
