"""Make tests/data/workout_pull_up_then_squat.mp4: the committed pull-up clip followed by the committed squat clip
(both calimiro-ai/WorkoutTracker, MIT; both 960x540), one video of two exercises one after another, to test
analysing each exercise of a workout on its own (``Analysis.parts``). Written at 30 frames/s: the squat clip
(25 frames/s) gets every fifth frame shown twice, so both keep their real duration.
Run: .venv/bin/python benchmarks/make_workout_clip.py"""

from fractions import Fraction
from pathlib import Path

import av

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
RATE = 30


def frames_at_rate(path: Path, rate: int) -> list:
    """The clip's frames (RGB arrays) repeated or dropped to play at ``rate`` frames/s for its own duration."""
    with av.open(str(path)) as src:
        st = src.streams.video[0]
        decoded = [(float(f.pts * st.time_base), f.to_ndarray(format="rgb24")) for f in src.decode(st)]
    t0 = decoded[0][0]
    duration = decoded[-1][0] - t0 + 1.0 / float(st.average_rate)
    out, j = [], 0
    for k in range(int(round(duration * rate))):
        t = t0 + k / rate
        while j + 1 < len(decoded) and decoded[j + 1][0] <= t + 1e-6:
            j += 1
        out.append(decoded[j][1])
    return out


frames = frames_at_rate(DATA / "calimiro_pull_up_11.mp4", RATE) + frames_at_rate(DATA / "calimiro_squat_19.mp4", RATE)
h, w = frames[0].shape[:2]
with av.open(str(DATA / "workout_pull_up_then_squat.mp4"), "w") as dst:
    ost = dst.add_stream("libx264", rate=Fraction(RATE))
    ost.width, ost.height, ost.pix_fmt = w, h, "yuv420p"
    ost.options = {"crf": "28"}
    for img in frames:
        for p in ost.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            dst.mux(p)
    for p in ost.encode():
        dst.mux(p)
print(f"{len(frames)} frames, {len(frames) / RATE:.2f} s")
