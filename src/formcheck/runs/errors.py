"""The one error the run readers raise: the message names the file and what to do."""

from ..errors import FormcheckError


class RunFileError(FormcheckError):
    """An activity file (FIT, GPX, TCX, zip) that cannot be read or is over the limits."""
