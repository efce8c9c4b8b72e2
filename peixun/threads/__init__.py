"""Threads: discussions, questions and research journals in every space."""
