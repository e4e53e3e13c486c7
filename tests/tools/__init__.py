"""Tests of the authoring tools: `lesson new` templates and the generated authoring guide."""
