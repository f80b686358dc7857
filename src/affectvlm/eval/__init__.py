"""Evaluation: metrics (numpy), demographic breakdowns, figures (matplotlib Agg) and run
reports."""

from affectvlm.eval.groups import (
    GroupConfig,
    PredictionTable,
    attribute_breakdown,
    balance_weights,
    group_report,
    prediction_rows,
)
from affectvlm.eval.metrics import ClassificationMetrics, classification_metrics, confusion_matrix
from affectvlm.eval.report import summarise, write_group_breakdowns, write_report

__all__ = [
    "ClassificationMetrics",
    "GroupConfig",
    "PredictionTable",
    "attribute_breakdown",
    "balance_weights",
    "classification_metrics",
    "confusion_matrix",
    "group_report",
    "prediction_rows",
    "summarise",
    "write_group_breakdowns",
    "write_report",
]
