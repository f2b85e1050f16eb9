"""Draw docs/filming.png, the how-to-film picture (OpenCV primitives only, no third-party art).

    .venv/bin/python docs/make_filming_png.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

W, H = 1000, 460
BG = (248, 246, 242)
INK = (60, 60, 60)
BLUE = (178, 111, 31)     # BGR
ORANGE = (43, 130, 217)
GREEN = (80, 150, 60)
SKIN = (150, 180, 220)
BOX = (120, 160, 190)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def text(img, s, org, scale=0.55, color=INK, thick=1):
    cv2.putText(img, s, org, FONT, scale, color, thick, cv2.LINE_AA)


def arrow(img, p, q, color=INK, thick=2):
    cv2.arrowedLine(img, p, q, color, thick, cv2.LINE_AA, tipLength=0.08)
    cv2.arrowedLine(img, q, p, color, thick, cv2.LINE_AA, tipLength=0.08)


def dashed(img, p, q, color, thick=1, dash=10):
    p, q = np.array(p, float), np.array(q, float)
    n = int(np.linalg.norm(q - p) // dash)
    for k in range(0, n, 2):
        a = p + (q - p) * k / n
        b = p + (q - p) * min(k + 1, n) / n
        cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b), color, thick, cv2.LINE_AA)


def camera(img, x, y, facing=1):
    cv2.rectangle(img, (x - 22, y - 14), (x + 22, y + 14), (70, 70, 70), -1, cv2.LINE_AA)
    cv2.circle(img, (x + facing * 22, y), 9, (40, 40, 40), -1, cv2.LINE_AA)
    cv2.circle(img, (x + facing * 22, y), 5, (200, 160, 90), -1, cv2.LINE_AA)


def plan_view(img):
    """Left panel: seen from above."""
    x0 = 20
    cv2.rectangle(img, (x0, 50), (x0 + 400, 440), (255, 255, 255), -1)
    cv2.rectangle(img, (x0, 50), (x0 + 400, 440), (200, 200, 200), 1)
    text(img, "1. Seen from above", (x0 + 12, 80), 0.7, INK, 2)
    px, py = x0 + 230, 170                                   # the person
    cv2.rectangle(img, (px - 95, py - 28), (px - 45, py + 28), BOX, -1, cv2.LINE_AA)  # box behind
    text(img, "box", (px - 88, py + 5), 0.5, (255, 255, 255), 1)
    cv2.ellipse(img, (px, py), (18, 48), 0, 0, 360, SKIN, -1, cv2.LINE_AA)  # shoulders
    cv2.circle(img, (px + 4, py), 15, (90, 120, 170), -1, cv2.LINE_AA)        # head
    for dy in (-20, 20):                                                      # feet
        cv2.ellipse(img, (px + 22, py + dy), (16, 7), 0, 0, 360, (60, 60, 60), -1, cv2.LINE_AA)
    cv2.arrowedLine(img, (px + 45, py), (px + 110, py), GREEN, 3, cv2.LINE_AA, tipLength=0.25)
    text(img, "facing", (px + 50, py - 12), 0.5, GREEN, 1)
    cx, cy = px, 395                                           # the camera, side-on
    cv2.rectangle(img, (cx - 14, cy - 22), (cx + 14, cy + 22), (70, 70, 70), -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy - 22), 9, (40, 40, 40), -1, cv2.LINE_AA)
    dashed(img, (cx - 10, cy - 32), (px - 120, py + 60), (150, 150, 150), 1)
    dashed(img, (cx + 10, cy - 32), (px + 120, py + 60), (150, 150, 150), 1)
    arrow(img, (cx - 40, cy - 25), (cx - 40, py + 55), BLUE, 2)
    text(img, "2-3 m", (cx - 128, (cy + py) // 2 + 30), 0.65, BLUE, 2)
    text(img, "camera at your side,", (x0 + 20, 415), 0.5)
    text(img, "at 90 deg to where you face", (x0 + 20, 433), 0.5)


def person_side(img, hx, hy, s, facing=1):
    """A side-view box squat: hips back on the box, shins near vertical. (hx, hy) = hip."""
    f = facing
    knee = (hx + int(f * 0.95 * s), hy + int(0.05 * s))
    ankle = (knee[0] - int(f * 0.15 * s), knee[1] + int(0.95 * s))
    toe = (ankle[0] + int(f * 0.42 * s), ankle[1] + int(0.05 * s))
    heel = (ankle[0] - int(f * 0.12 * s), ankle[1] + int(0.05 * s))
    shoulder = (hx + int(f * 0.45 * s), hy - int(1.05 * s))
    head = (shoulder[0] + int(f * 0.12 * s), shoulder[1] - int(0.32 * s))
    hand = (shoulder[0] + int(f * 0.95 * s), shoulder[1] + int(0.1 * s))
    t = max(6, int(0.22 * s))
    col = SKIN
    for a, b in ((shoulder, (hx, hy)), ((hx, hy), knee), (knee, ankle), (shoulder, hand)):
        cv2.line(img, a, b, col, t, cv2.LINE_AA)
    cv2.line(img, heel, toe, (60, 60, 60), max(4, t // 2), cv2.LINE_AA)
    cv2.circle(img, head, int(0.22 * s), (90, 120, 170), -1, cv2.LINE_AA)
    return dict(knee=knee, ankle=ankle, toe=toe, heel=heel, head=head)


def camera_view(img):
    """Right panel: what the camera should see."""
    x0 = 440
    cv2.rectangle(img, (x0, 50), (x0 + 540, 440), (255, 255, 255), -1)
    cv2.rectangle(img, (x0, 50), (x0 + 540, 440), (200, 200, 200), 1)
    text(img, "2. What the camera sees", (x0 + 12, 80), 0.7, INK, 2)
    fx0, fy0, fx1, fy1 = x0 + 190, 100, x0 + 450, 420                     # the picture frame
    floor_y = 395
    cv2.line(img, (x0 + 10, floor_y), (x0 + 530, floor_y), (170, 170, 170), 2)
    bx = fx0 + 40                                                          # the box
    cv2.rectangle(img, (bx, floor_y - 95), (bx + 70, floor_y), BOX, -1)
    hx, hy = bx + 58, floor_y - 112
    pts = person_side(img, hx, hy, 90, facing=1)
    # frame corners
    for (x, y, dx, dy) in ((fx0, fy0, 1, 1), (fx1, fy0, -1, 1), (fx0, fy1, 1, -1), (fx1, fy1, -1, -1)):
        cv2.line(img, (x, y), (x + 28 * dx, y), GREEN, 3)
        cv2.line(img, (x, y), (x, y + 28 * dy), GREEN, 3)
    text(img, "whole body and feet in frame", (fx0 - 5, fy0 - 6), 0.5, GREEN, 1)
    # the knee-over-toe line
    dashed(img, (pts["toe"][0], pts["toe"][1]), (pts["toe"][0], pts["knee"][1] - 10), ORANGE, 2, 8)
    text(img, "toes", (pts["toe"][0] + 6, pts["toe"][1] - 4), 0.45, ORANGE, 1)
    # camera at hip height
    cam_y = hy
    camera(img, x0 + 45, cam_y, facing=1)
    cv2.line(img, (x0 + 45, cam_y + 14), (x0 + 25, floor_y), (90, 90, 90), 2, cv2.LINE_AA)
    cv2.line(img, (x0 + 45, cam_y + 14), (x0 + 65, floor_y), (90, 90, 90), 2, cv2.LINE_AA)
    dashed(img, (x0 + 75, cam_y), (fx1 + 20, cam_y), BLUE, 2)
    text(img, "camera at hip height", (x0 + 15, cam_y - 30), 0.5, BLUE, 1)
    text(img, "box behind you", (bx - 10, floor_y + 22), 0.5, INK, 1)


def draw() -> np.ndarray:
    img = np.full((H, W, 3), BG, np.uint8)
    text(img, "How to film a box squat for formcheck", (20, 34), 0.85, INK, 2)
    plan_view(img)
    camera_view(img)
    return img


if __name__ == "__main__":
    out = Path(__file__).with_name("filming.png")
    cv2.imwrite(str(out), draw(), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(out, out.stat().st_size, "bytes")
