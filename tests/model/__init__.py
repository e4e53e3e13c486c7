"""Tests of the lesson format: units, the loader's located diagnostics, semantic checks, schema."""
