"""Accountbot: a living account record for B2B account teams, inside Slack."""

__version__ = "0.1.0"
