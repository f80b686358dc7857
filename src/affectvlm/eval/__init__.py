"""Evaluation: metrics (numpy), figures (matplotlib Agg) and run reports."""

from affectvlm.eval.metrics import ClassificationMetrics, classification_metrics, confusion_matrix
from affectvlm.eval.report import summarise, write_report

__all__ = [
    "ClassificationMetrics",
    "classification_metrics",
    "confusion_matrix",
    "summarise",
    "write_report",
]
