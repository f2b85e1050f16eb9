"""Storage errors a user can act on (shown as they are by the CLI and the app)."""

from ..errors import FormcheckError


class StoreError(FormcheckError):
    """Something about the clinic database."""


class DatabaseUnavailableError(StoreError):
    """The database cannot be opened or reached."""


class DatabaseTooNewError(StoreError):
    """The database was written by a newer formcheck."""


class UnknownClientError(StoreError):
    """No client has that label."""


class ClientExistsError(StoreError):
    """A client with that label exists already."""


class UnknownSessionError(StoreError):
    """No session has that id."""


class ExportFileError(StoreError):
    """The file is not a formcheck export, or is damaged."""


class ImportConflictError(StoreError):
    """The export clashes with data in this database (`labels`: the clients it names)."""

    def __init__(self, message: str, labels=()):
        super().__init__(message)
        self.labels = tuple(labels)
