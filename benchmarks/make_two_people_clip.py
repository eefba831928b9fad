"""Make tests/data/two_people_squat.mp4: two people side by side, one squatting on the left (the committed
squat clip playing) and one standing still on the right (its first frame, frozen), to test following the
person exercising when several are in view (repvision.tracking). Run: .venv/bin/python benchmarks/make_two_people_clip.py"""

from pathlib import Path

import av
import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
src = av.open(str(DATA / "calimiro_squat_19.mp4"))
ist = src.streams.video[0]
frames = [f.to_ndarray(format="rgb24") for f in src.decode(ist)]
rate = ist.average_rate
src.close()
h, w = frames[0].shape[:2]
dst = av.open(str(DATA / "two_people_squat.mp4"), "w")
ost = dst.add_stream("libx264", rate=rate)
ost.width, ost.height = 2 * (w // 2), h
ost.pix_fmt = "yuv420p"
ost.options = {"crf": "28"}
x0 = int(0.2 * w)                          # a window of half the width around the person
still = frames[0][:, x0:x0 + w // 2]       # the standing person, from the first frame
for img in frames:
    both = np.ascontiguousarray(np.concatenate([img[:, x0:x0 + w // 2], still], axis=1))
    for p in ost.encode(av.VideoFrame.from_ndarray(both, format="rgb24")):
        dst.mux(p)
for p in ost.encode():
    dst.mux(p)
dst.close()
