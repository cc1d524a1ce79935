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


class ChangedElsewhere(StoreError):
    """Someone else saved a change after this form was opened: reload rather than overwrite."""

    def __init__(self, what: str, *, field: str | None = None) -> None:
        super().__init__(
            f"{what} was changed by someone else after you opened this form. "
            "Close it and open it again to see their change.",
            field=field,
        )


def check_version(seen: int | None, current: int, *, what: str, field: str | None = None) -> None:
    if seen is not None and seen != current:
        raise ChangedElsewhere(what, field=field)
