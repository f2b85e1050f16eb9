#!/usr/bin/env python3
"""The bare MediaPipe loop, as its own process (the benchmark protocol's reference):

    .venv/bin/python benchmarks/bare_loop.py CLIP

decodes every frame of CLIP with PyAV, converts it to RGB and runs `mp.solutions.pose` (the
BlazePose full model, model_complexity=1) on it; no drawing, nothing kept. Prints the frame count.
"""

import sys

import av
import mediapipe as mp


def main(path: str) -> int:
    n = 0
    with mp.solutions.pose.Pose(model_complexity=1) as pose, av.open(path) as c:
        for frame in c.decode(c.streams.video[0]):
            pose.process(frame.to_ndarray(format="rgb24"))
            n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
