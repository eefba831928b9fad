"""The parameter half of scikit-learn's estimator contract, without scikit-learn.

Inference must not need scikit-learn, so the classifiers cannot inherit ``sklearn.base.BaseEstimator``; this
mixin gives them the same ``get_params`` / ``set_params`` / ``repr``, reading the parameter names from the
keyword-only arguments of ``__init__`` as scikit-learn does (each stored under its own name).
"""

from __future__ import annotations

import inspect
from typing import Any


class ParamsMixin:
    """``get_params``, ``set_params`` and ``__repr__`` from the keyword-only ``__init__`` arguments."""

    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        sig = inspect.signature(cls.__init__)
        return tuple(p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any):
        """Set parameters by name; ``ValueError`` naming the key for one ``__init__`` does not take."""
        names = self._param_names()
        for k, v in params.items():
            if k not in names:
                raise ValueError(f"unknown parameter {k!r} for {type(self).__name__}; valid: {', '.join(names)}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"
