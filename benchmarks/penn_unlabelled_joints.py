"""How many Penn Action joints were never annotated (the figures quoted for
``repvision.datasets.penn_action.unlabelled_joints``).

The label files put a joint they did not annotate at the image's top-left corner with visibility 0. This script
reads every label file as stored (before the loader turns those joints into missing ones) and counts them: share
of all joints, the corner coordinates used, per class the share of clips with at least one such joint, and the
official test clips left without a frame with a person (at least ``repvision.classify.MIN_JOINTS`` joints).

    .venv/bin/python benchmarks/penn_unlabelled_joints.py [--data ../shared/data/penn_action] [--json FILE]

Last line: one JSON object with the figures. Needs scipy (a dependency of the ``train`` extra).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.io

from repvision.classify import MIN_JOINTS
from repvision.datasets.penn_action import PENN_LABELS, unlabelled_joints


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "data" / "penn_action")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    a = ap.parse_args()
    files = sorted((a.data / "labels").glob("*.mat"))
    n_joints = n_unlabelled = 0
    corner_values: set[float] = set()
    clips_with: dict[str, list[bool]] = defaultdict(list)
    test_without_person = []
    for f in files:
        m = scipy.io.loadmat(str(f))
        x, y, vis = (np.asarray(m[k], dtype=np.float32) for k in ("x", "y", "visibility"))
        mask = unlabelled_joints(x, y, vis)
        n_joints += mask.size
        n_unlabelled += int(mask.sum())
        corner_values.update(np.unique(np.round(x[mask].astype(np.float64), 2)).tolist())
        action = str(np.asarray(m["action"]).ravel()[0])
        clips_with[PENN_LABELS.get(action, action)].append(bool(mask.any()))
        split = "train" if int(np.asarray(m["train"]).ravel()[0]) == 1 else "test"
        if split == "test" and not ((~mask).sum(axis=1) >= MIN_JOINTS).any():
            test_without_person.append(f.stem)
    out = {
        "benchmark": "penn_unlabelled_joints", "n_files": len(files),
        "share_of_joints": round(n_unlabelled / max(n_joints, 1), 4),
        "corner_px_min": min(corner_values, default=None), "corner_px_max": max(corner_values, default=None),
        "share_of_clips_per_class": {k: round(float(np.mean(v)), 2) for k, v in sorted(clips_with.items())},
        "test_clips_without_a_person": test_without_person,
    }
    print(f"{len(files)} label files: {out['share_of_joints']:.1%} of all joints not annotated "
          f"(at x = y between {out['corner_px_min']} and {out['corner_px_max']} px)")
    for k, v in out["share_of_clips_per_class"].items():
        print(f"  {k:16s} {v:.0%} of the clips have some")
    print(f"official test clips without a frame with a person: {test_without_person}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
