"""One error type for every data problem, formatted as a single actionable line."""
from __future__ import annotations


class DataError(Exception):
    """A problem in an input file: names the file, the row or line, the field, and what is wrong.

    `line` is a line of the file as an editor shows it (header = line 1): use it for files people edit or read
    (data/events/*.csv, committed data/tidy/*.csv); `row` for rows of a table being derived."""

    def __init__(self, file, problem: str, *, row=None, line=None, field: str | None = None, fix: str | None = None):
        self.file = str(file)
        self.row = row
        self.line = line
        self.field = field
        self.problem = problem
        self.fix = fix
        where = self.file
        if row is not None:
            where += f", row {row}"
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        msg = f"{where}: {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)
