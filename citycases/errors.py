"""One error type for every data problem, formatted as a single actionable line."""
from __future__ import annotations


class DataError(Exception):
    """A problem in an input file: names the file, the row or field, and what is wrong."""

    def __init__(self, file, problem: str, *, row=None, field: str | None = None, fix: str | None = None):
        self.file = str(file)
        self.row = row
        self.field = field
        self.problem = problem
        self.fix = fix
        where = self.file
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        msg = f"{where}: {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)
