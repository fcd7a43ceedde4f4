"""Reading a data folder: every input file -> validated models, every problem located.

One module per job, leaves first, no circles (tests/test_import_cycles.py):

- `files`: the one way an input file is opened (regular file, size cap, encoding, TOML bounds);
- `cells`: cell converters (text -> value or `BadCell`);
- `table`: located rows: the header check (own names, near misses) and the CSV records;
- `workbook`: the `.xlsx` reader (streamed sheet records, cells located as `C14`);
- `schemas`: each table's columns, row rules and the one row parser (pure: text in, rows out);
- `gazetteer`: postcodes and UPRNs to coordinates, through an owner-only SQLite index;
- `columns`: `columns.toml`, an export's own header names;
- `crosscheck`: checks across files;
- `folder`: `load_dataset`, which reads a data folder through all of the above.

This `__init__` imports nothing, so `files` can be used by `policy` (below `folder`) without a
circle; `rso_scheduler.ingest` re-exports the public names for existing callers.
"""
