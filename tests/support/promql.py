"""The metric names a PromQL expression reads, without a PromQL parser.

Label matchers, grouping clauses and Grafana variables are removed first; what remains
that looks like an identifier and is not a function call or an operator is a metric name.
"""

import re

_GRAFANA_VARIABLES = re.compile(r"\$__\w+|\$\{?\w+\}?")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()")
_OPERATORS = frozenset({"and", "or", "unless", "offset", "bool"})


def metric_names(expr: str) -> set[str]:
    """Every metric name ``expr`` selects."""
    text = _GRAFANA_VARIABLES.sub("5m", expr)
    for pattern in (_STRINGS, _MATCHERS, _GROUPING):
        text = pattern.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _OPERATORS}
