"""Modeled tables built inside the warehouse from the raw tables, with their checks."""

from crm_assets.models.assets import GROUP, MODELS, build_models, model_key

__all__ = ["GROUP", "MODELS", "build_models", "model_key"]
