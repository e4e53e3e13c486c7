"""Adaptivity: learner model, hint policy and difficulty controller (pure; see issue #3)."""
