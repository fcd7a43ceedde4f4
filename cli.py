"""Entry point for `python cli.py ...` from a source checkout; the same as the `rso` command."""

from rso_scheduler.cli import main

if __name__ == "__main__":
    main()
