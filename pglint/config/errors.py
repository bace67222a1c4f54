"""The configuration error, on its own: ``pglint.cli`` catches it on every run, including
``pglint --version``, which reads no configuration."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem: reported with exit code 2."""
