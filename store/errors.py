"""Errors the store raises for a rule the user broke; the bot turns them into messages."""


class StoreError(Exception):
    """A refused change; `field` names the input it concerns, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateAccountName(StoreError):
    pass


class NotFound(StoreError):
    pass
