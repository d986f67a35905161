"""Data-quality checks: what a check is (`model`), the built-in ones (`builtins`), their names for YAML
(`registry`, `yaml_form`), and how one table's checks run in as few scans as possible (`planner`, with the
import-time `partials`). A check class owns everything about itself: its factory, SQL terms, partial
measures and failing-cell predicate; adding one touches this package only."""

from wap_notebook.checks.builtins import (
    CUSTOM_MAX_ROWS,
    FAILING_KEYS_SAMPLE,
    AcceptedValues,
    Between,
    ColumnStat,
    Custom,
    Drift,
    Expression,
    Fresh,
    Length,
    Matches,
    NoDuplicatesWith,
    NotNull,
    OrderedColumnStat,
    References,
    RowCount,
    RowCountVsHistory,
    SchemaCompatible,
    Sql,
    Unique,
    UniqueKey,
    accepted_values,
    between,
    column_stat,
    custom,
    drift,
    expression,
    fresh,
    length,
    matches,
    no_duplicates_with,
    not_null,
    references,
    row_count,
    row_count_vs_history,
    schema_compatible,
    sql,
    unique,
)
from wap_notebook.checks.model import (
    REPORT_COLUMNS,
    Aggregate,
    AggregateCheck,
    Check,
    CheckResult,
    Outcome,
    QueryCheck,
    TableScope,
    Values,
)
from wap_notebook.checks.planner import plan_aggregate_query, run_table_checks
from wap_notebook.checks.registry import register_check
from wap_notebook.core.arrow_sql import local_sql

__all__ = [
    "Check", "AggregateCheck", "QueryCheck", "CheckResult", "TableScope", "Aggregate", "Outcome", "Values",
    "row_count", "not_null", "unique", "accepted_values", "between", "matches", "schema_compatible",
    "no_duplicates_with", "sql", "custom", "register_check", "REPORT_COLUMNS", "plan_aggregate_query",
    "run_table_checks", "local_sql", "RowCount", "NotNull", "Unique", "UniqueKey", "AcceptedValues", "Between",
    "Matches", "SchemaCompatible", "NoDuplicatesWith", "Sql", "Custom", "CUSTOM_MAX_ROWS", "FAILING_KEYS_SAMPLE",
    "references", "fresh", "column_stat", "expression", "length", "drift", "row_count_vs_history", "References",
    "Fresh", "ColumnStat", "OrderedColumnStat", "Expression", "Length", "Drift", "RowCountVsHistory",
]
