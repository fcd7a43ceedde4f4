"""`columns.toml`: an export's own column names, mapped to the contract's, per table.

```toml
[offenders]
offender_id = "ViSOR Ref"
risk_level = "Risk Level (ARMS)"
```
`parse_columns(text)` is pure; `read_columns(path)` opens the file through `files`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.input.files import read_toml_text
from rso_scheduler.input.table import header_name
from rso_scheduler.redact import shown_found

COLUMNS_FILE = "columns.toml"
Renames = dict[str, dict[str, str]]  # table -> {export header (normalised) -> contract name}


def parse_columns(text: str, known: dict[str, list[str]], file: str = COLUMNS_FILE) -> Renames:
    """Parse columns.toml text against the contract's tables and columns (`known`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc).split(" (at ")[0]
        raise InputError([Problem(file, None, None, f"not valid TOML: {msg}")]) from None
    except (RecursionError, ValueError):
        raise InputError(
            [Problem(file, None, None, "not valid TOML (nested or sized beyond reason)")]
        ) from None
    problems: list[Problem] = []
    out: Renames = {}
    for table, mapping in data.items():
        if table not in known:
            problems.append(
                Problem(
                    file,
                    None,
                    table,
                    f"is not a table of the contract; expected one of {', '.join(known)}",
                )  # fmt: skip
            )
            continue
        if not isinstance(mapping, dict):
            problems.append(
                Problem(file, None, table, f"is {shown_found(mapping)}; expected a table of names")
            )
            continue
        renames: dict[str, str] = {}
        taken: dict[str, str] = {}
        for contract, header in mapping.items():
            key = f"{table}.{contract}"
            if contract not in known[table]:
                problems.append(
                    Problem(
                        file,
                        None,
                        key,
                        f"is not a column of {table}; expected one of {', '.join(known[table])}",
                    )  # fmt: skip
                )
                continue
            if not isinstance(header, str) or not header.strip():
                problems.append(
                    Problem(
                        file,
                        None,
                        key,
                        f"is {shown_found(header)}; expected the export's header text",
                    )  # fmt: skip
                )
                continue
            name = header_name(header)
            if name in taken:
                problems.append(
                    Problem(
                        file,
                        None,
                        key,
                        f"names the same header as {table}.{taken[name]}; expected each header once",
                    )  # fmt: skip
                )
                continue
            taken[name] = contract
            renames[name] = contract
        out[table] = renames
    if problems:
        raise InputError(problems)
    return out


def read_columns(path: Path, known: dict[str, list[str]]) -> Renames:
    """columns.toml from the data folder (checked and bounded before it is parsed)."""
    return parse_columns(read_toml_text(path, COLUMNS_FILE), known)
