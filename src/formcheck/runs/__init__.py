"""Running: activities from watch files (FIT, GPX, TCX), training load (ACWR) and step rate.

The runner's half of the physiotherapist's advice formcheck grew from: a spike in training
load usually comes before runner's knee ("reduce the distance by half and build it back up"),
and a slightly higher step rate (+5-10 %, Heiderscheit et al. 2011) lowers the load on the knee.
Pure Python/numpy, frozen dataclasses; the shells (cli_runs.py, app/running_page.py) print.
"""

from .model import Run, RUNNING_SPORTS
from .errors import RunFileError

__all__ = ["Run", "RUNNING_SPORTS", "RunFileError"]
