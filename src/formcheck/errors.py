"""Errors a user can act on. Each message says what happened and what to do."""


class FormcheckError(Exception):
    """Base class: the message is shown to the user as it is."""

    exit_code = 2


class VideoOpenError(FormcheckError):
    """The file is missing, not a video, or cannot be decoded."""


class EmptyVideoError(FormcheckError):
    """The video has no decodable frames."""


class StillImageError(FormcheckError):
    """The file is a photo (a picture format), not a video."""


class NoPersonError(FormcheckError):
    """Nobody was found in the video."""


class VideoTooLargeError(FormcheckError):
    """The clip is longer or larger than the limits allow."""


class JobCancelledError(FormcheckError):
    """The work was stopped: its app session ended, or it ran past its time limit."""


class LandmarksFileError(FormcheckError):
    """A saved landmarks file is missing or not in formcheck's format."""


class LabelsFileError(FormcheckError):
    """A labels table for `formcheck eval` is missing or malformed."""


class UnknownProfileError(FormcheckError):
    """The threshold profile name is not known."""
