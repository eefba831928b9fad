"""repvision: a personal trainer in a video.

Pipeline stages, each a module: ``video`` -> ``pose`` -> ``features`` -> ``classify`` / ``reps`` /
``muscles`` -> ``report``; ``pipeline.analyze`` runs them all.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "analyze"]


def analyze(path, config=None, **kwargs):
    """Analyse a workout video; see :func:`repvision.pipeline.analyze`."""
    from repvision.pipeline import analyze as _analyze

    return _analyze(path, config=config, **kwargs)
