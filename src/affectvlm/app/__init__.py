"""The Streamlit app: a page thin over :class:`affectvlm.infer.Predictor`.

Run it with ``affectvlm app``; the page itself is :func:`page_path`.
"""

from __future__ import annotations

from pathlib import Path


def page_path() -> Path:
    """The page file given to ``streamlit run``."""
    return Path(__file__).with_name("streamlit_app.py")
