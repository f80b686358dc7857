"""Multiview rendering of 3D scans and 4D sequences into the images the model consumes."""

from affectvlm.render.cache import RenderCache, RenderItem, RenderReport, render_dataset
from affectvlm.render.camera import Normalisation, normalise
from affectvlm.render.config import RenderConfig, ViewSpec
from affectvlm.render.errors import RenderCacheError, RenderError
from affectvlm.render.sequence import dynamic_image, render_sequence, sample_frames
from affectvlm.render.sheet import contact_sheet, render_contact_sheet
from affectvlm.render.views import RenderedViews, render_views

__all__ = [
    "Normalisation",
    "RenderCache",
    "RenderCacheError",
    "RenderConfig",
    "RenderError",
    "RenderItem",
    "RenderReport",
    "RenderedViews",
    "ViewSpec",
    "contact_sheet",
    "dynamic_image",
    "normalise",
    "render_contact_sheet",
    "render_dataset",
    "render_sequence",
    "render_views",
    "sample_frames",
]
