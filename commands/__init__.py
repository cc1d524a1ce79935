"""Slack listeners: `register(app)` wires every route of `commands.routes`, the one index of what
the bot answers and who may use it."""

from commands.routes import register

__all__ = ["register"]
