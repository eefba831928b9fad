"""Make tests/data/phone_portrait_rotated_sit_up.mp4: a phone-style clip whose pixels are stored sideways
with a display-rotation tag, from the committed sit-up clip. Run: .venv/bin/python benchmarks/make_rotated_clip.py"""

from pathlib import Path

import av
import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
src = av.open(str(DATA / "repcount_test2021_sit_up.mp4"))
ist = src.streams.video[0]
dst = av.open(str(DATA / "phone_portrait_rotated_sit_up.mp4"), "w")
ost = dst.add_stream("libx264", rate=14)
ost.width, ost.height = ist.codec_context.height, ist.codec_context.width
ost.pix_fmt = "yuv420p"
ost.options = {"crf": "26"}
ost.set_display_rotation(90)  # a viewer turns the stored picture 90 deg counter-clockwise: upright again
for f in src.decode(ist):
    img = np.ascontiguousarray(np.rot90(f.to_ndarray(format="rgb24"), k=-1))  # stored turned clockwise
    for p in ost.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
        dst.mux(p)
for p in ost.encode():
    dst.mux(p)
dst.close()
src.close()
