"""Trace mode: run migrations in a throwaway PostgreSQL and record what really happens."""
