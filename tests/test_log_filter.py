"""pose.NativeLogFilter: MediaPipe's C++ lines dropped, everything else passed on, and no wait at
exit for child processes that still hold the pipe (issue 20: 5 s at every parallel run's end)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import os, subprocess, sys, time
from formcheck.pose import NativeLogFilter

f = NativeLogFilter().install()
# a child that inherits fd 2 (the pipe) and keeps it open for 30 s, as worker processes do;
# its own lines pass through the filter too
child = subprocess.Popen([sys.executable, "-c",
    "import sys, time\n"
    "sys.stderr.write('W0000 00:00:1764 123 inference_feedback_manager.cc:114] child chatter\\n')\n"
    "sys.stderr.write('child line\\n'); sys.stderr.flush(); time.sleep(30)"])
time.sleep(1.5)
os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
sys.stderr.write("\rtracking [###] 10%")   # a progress bar's unfinished line
sys.stderr.flush()
time.sleep(0.5)
sys.stderr.write("\nformcheck: interrupted\n")
t = time.monotonic()
f.remove()
print(f"removed in {time.monotonic() - t:.3f} s", flush=True)
sys.stderr.write("after remove\n")
sys.stderr.flush()
child.kill()
"""


def test_filter_drops_native_lines_passes_the_rest_and_never_waits_for_children(tmp_path):
    err = tmp_path / "err.txt"
    start = time.monotonic()
    with open(err, "wb") as e:
        r = subprocess.run([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=e,
                           timeout=60, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    took = time.monotonic() - start
    assert r.returncode == 0
    out = r.stdout.decode()
    removed_s = float(out.split("removed in ")[1].split(" s")[0])
    assert removed_s < 0.5          # was 5 s (a join with timeout) while a child held the pipe
    assert took < 15                # the child sleeps 30 s: nobody waited for it
    text = err.read_bytes().decode()
    assert "child line\n" in text
    assert "\rtracking [###] 10%\nformcheck: interrupted\n" in text
    assert text.endswith("after remove\n")
    assert "inference_feedback_manager" not in text and "XNNPACK" not in text


def test_the_unfinished_line_of_a_progress_bar_is_passed_at_once(tmp_path):
    """A bar redraws its line with \\r and no newline: it must reach the terminal as drawn."""
    code = (
        "import os, sys, time\n"
        "from formcheck.pose import NativeLogFilter\n"
        "f = NativeLogFilter().install()\n"
        "sys.stderr.write('\\rtracking [#..] 10%'); sys.stderr.flush()\n"
        "time.sleep(3)\n"
        "f.remove()\n")
    p = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        os.set_blocking(p.stderr.fileno(), False)
        got = b""
        deadline = time.monotonic() + 2.5    # before the script's newline-free end
        while time.monotonic() < deadline and b"10%" not in got:
            time.sleep(0.05)
            try:
                got += os.read(p.stderr.fileno(), 4096)
            except BlockingIOError:
                pass
        assert got == b"\rtracking [#..] 10%"
    finally:
        p.wait(timeout=30)


@pytest.mark.parametrize("line", [
    "W0000 00:00:1764959123.123456   81 inference_feedback_manager.cc:114] Feedback manager",
    "I0000 00:00:1764959123.123456   81 gl_context.cc:369] GL version",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
])
def test_native_log_lines_start_with_a_letter_the_pump_holds_back(line):
    from formcheck.pose import NATIVE_LOG, NATIVE_LOG_FIRST

    assert NATIVE_LOG.match(line)
    assert line.encode()[:1] in NATIVE_LOG_FIRST
