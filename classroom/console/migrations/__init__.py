"""Alembic migrations of the console's database (shipped in the package, run at start-up)."""
