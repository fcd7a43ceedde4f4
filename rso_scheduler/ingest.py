"""Reading a data folder: the names existing callers import, from the `input` package.

The work is done in `rso_scheduler.input` (one module per job: opening files, cells, located
rows, workbooks, schemas, gazetteer, cross-file checks, the folder); this module only gathers
its public names so that `from rso_scheduler.ingest import load_dataset` keeps working.
"""

from __future__ import annotations

from rso_scheduler.input.cells import (
    COORDINATE_COLUMNS,
    BadCell,
    to_address,
    to_bool,
    to_date,
    to_end_time,
    to_free_text,
    to_id,
    to_id_list,
    to_interval_days,
    to_kind,
    to_lat,
    to_list,
    to_lon,
    to_name,
    to_non_negative_int,
    to_outcome,
    to_positive_int,
    to_postcode,
    to_refreshment_minutes,
    to_risk,
    to_skills,
    to_start_time,
    to_status,
    to_uprn,
    to_visit_minutes,
    to_weekdays,
)
from rso_scheduler.input.crosscheck import (
    FROM_ROWS,
    MAX_HOME_TO_BASE_KM,
    cross_check,
    far_from_bases,
)
from rso_scheduler.input.files import decode_text, read_text
from rso_scheduler.input.folder import (
    OPTIONAL_FILES,
    POLICY_FILE,
    REQUIRED_FILES,
    data_folder,
    load_dataset,
)
from rso_scheduler.input.schemas import (
    ABSENCE_COLUMNS,
    OFFENDER_COLUMNS,
    OFFICER_COLUMNS,
    VISIT_COLUMNS,
    ParseResult,
    parse_absences,
    parse_offenders,
    parse_officers,
    parse_visits,
)
from rso_scheduler.input.table import Col, read_table
from rso_scheduler.redact import shown

__all__ = [
    "ABSENCE_COLUMNS",
    "COORDINATE_COLUMNS",
    "FROM_ROWS",
    "MAX_HOME_TO_BASE_KM",
    "OFFENDER_COLUMNS",
    "OFFICER_COLUMNS",
    "OPTIONAL_FILES",
    "POLICY_FILE",
    "REQUIRED_FILES",
    "VISIT_COLUMNS",
    "BadCell",
    "Col",
    "ParseResult",
    "cross_check",
    "data_folder",
    "decode_text",
    "far_from_bases",
    "load_dataset",
    "parse_absences",
    "parse_offenders",
    "parse_officers",
    "parse_visits",
    "read_table",
    "read_text",
    "shown",
    "to_address",
    "to_bool",
    "to_date",
    "to_end_time",
    "to_free_text",
    "to_id",
    "to_id_list",
    "to_interval_days",
    "to_kind",
    "to_lat",
    "to_list",
    "to_lon",
    "to_name",
    "to_non_negative_int",
    "to_outcome",
    "to_positive_int",
    "to_postcode",
    "to_refreshment_minutes",
    "to_risk",
    "to_skills",
    "to_start_time",
    "to_status",
    "to_uprn",
    "to_visit_minutes",
    "to_weekdays",
]
