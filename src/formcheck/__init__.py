"""formcheck: squat form checking from video with MediaPipe pose landmarks.

Education, not diagnosis.
"""

__version__ = "0.1.0"
