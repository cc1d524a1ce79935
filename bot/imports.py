"""The one bulk-import machinery: a CSV file as real files come, checked row by row, written in
transactions of bounded size. Usage readings use it (`bot.usage_import`); later imports
(business events, CRM) describe their rows the same way (`ImportKind`) and get the rest.

- **Reading.** The encoding is told by its byte-order mark, else strict UTF-8, else
  Windows-1252 when `charset-normalizer` finds it plausible, else its best guess; the dialect
  (comma, semicolon, tab or bar; quoting) by the standard library's `csv.Sniffer`. Quoted fields
  may hold newlines: each row is known by the physical line it starts on, as a spreadsheet shows
  it. The file is read a chunk and a batch at a time: its size does not change the memory used
  (but for one key per good row, to find a row repeated further down).
- **Checking.** Each row is read into the kind's pydantic model; a row that fails is rejected
  with its line and reasons while the good rows go in. A row repeating an earlier row's key
  (say the same account and day) is rejected naming that line.
- **Writing.** Rows are written in batches, each one transaction (`batch_size` rows): an import
  interrupted half-way has its finished batches in, and simply runs again (each kind's write
  is idempotent: a row already in is reported unchanged).
- **Reporting.** A progress bar while it runs; the rejects as a CSV beside the file (the line,
  the reasons, then the row as it was, a cell a spreadsheet would run as a formula written as
  text), its path checked writable before anything is imported; a summary: created, replaced,
  unchanged, rejected, and which rows replaced what was there.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from charset_normalizer import from_bytes
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlmodel import Session

from store.db import Database

CREATED, REPLACED, UNCHANGED, REJECTED = "created", "replaced", "unchanged", "rejected"
OUTCOMES = (CREATED, REPLACED, UNCHANGED)
BATCH_SIZE = 500
"""Rows per transaction: small enough that an interruption loses little, large enough that a
file of 100,000 rows is a few hundred statements."""
SNIFF_BYTES = 64 * 1024
REJECTS_KEPT = 100
"""Rejected rows kept in memory to show; the rejects file has every one."""
DELIMITERS = ",;\t|"


class ImportFileError(Exception):
    """The file cannot be read at all (not there, empty, no header, an encoding nobody can
    tell): nothing is imported."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One row of the file: the physical lines it spans, its values by column."""

    line: int
    values: dict[str, str]
    raw: list[str]
    end: int = 0
    """The physical line it ends on (a quoted field may hold newlines)."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """What was found about a file, and its rows, read one at a time as they are asked for."""

    encoding: str
    delimiter: str
    header: list[str]
    """The columns' names (as the kind of import calls them)."""
    cells: list[str]
    """The header as the file has it."""
    rows: Iterator[SourceRow]
    lines: int
    """How many physical lines the file has (for the progress bar)."""


WESTERN = "cp1252"
"""What Excel on a Western Windows saves "CSV" in (Latin-1's letters and more)."""
CHUNK = 1 << 20
"""Bytes read at a time: a file of any size is read in bounded memory."""
MARKS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


def encoding_of(path: Path) -> tuple[str, int]:
    """A file's encoding and its number of lines, read a chunk at a time: a byte-order mark
    says it, else strict UTF-8 (checked over the whole file), else Windows-1252 when
    charset-normalizer finds it plausible (its best guess over a short file took `São` and
    `Peña` for Baltic or Big5), else its best guess (cp1250, …) over the file's first chunk."""
    with path.open("rb") as data:
        head = chunk = data.read(CHUNK)
        utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
        lines = 0
        while chunk:
            lines += chunk.count(b"\n")
            try:
                if utf8 is not None:
                    utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8 = None
            chunk = data.read(CHUNK)
    lines += bool(head) and not head.endswith(b"\n")
    for mark, name in MARKS:
        if head.startswith(mark):
            return name, lines
    try:
        if utf8 is not None:
            utf8.decode(b"", final=True)
            return "utf-8", lines
    except UnicodeDecodeError:
        pass
    western = from_bytes(head, cp_isolation=[WESTERN]).best()
    if western is not None:
        return western.encoding, lines
    best = from_bytes(head).best()
    if best is None:
        raise ImportFileError("cannot tell the file's encoding: save it as UTF-8 and try again")
    return best.encoding, lines


@contextlib.contextmanager
def open_file(path: Path, *, columns: Callable[[str], str]) -> Iterator[SourceFile]:
    """A CSV file whatever its encoding and dialect, its rows read as they are asked for (a file
    of any size in bounded memory); `columns` maps a header cell to the column's name (aliases,
    case and spacing), as the kind of import knows it. A byte no encoding can read shows as
    U+FFFD in its row, which is then refused or imported on its own merits."""
    try:
        encoding, lines = encoding_of(path)
        text = path.open(encoding=encoding, errors="replace", newline="")
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from None
    with text:
        sample = text.read(SNIFF_BYTES)
        if not sample.strip():
            raise ImportFileError(f"{path} is empty")
        dialect = _dialect(sample)
        text.seek(0)
        reader = csv.reader(text, dialect)
        cells: list[str] | None = None
        for cells in reader:
            if any(cell.strip() for cell in cells):
                break
        else:
            raise ImportFileError(f"{path} has no header row")
        header = [columns(cell) for cell in cells]

        def rows() -> Iterator[SourceRow]:
            last_line = reader.line_num
            for cells in reader:
                start, last_line = last_line + 1, reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                values = {
                    name: cell.strip()
                    for name, cell in zip(header, cells, strict=False)
                    if name and cell
                }
                yield SourceRow(line=start, values=values, raw=cells, end=last_line)

        yield SourceFile(
            encoding=encoding,
            delimiter=dialect.delimiter,
            header=header,
            cells=cells,
            rows=rows(),
            lines=lines,
        )


class _Commas(csv.excel):
    """A file the sniffer cannot read: commas and double quotes, as most files are."""


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The file's dialect. The delimiter is the one that splits the header line most (a header
    holds names, not numbers with decimal commas, nor quoted newlines, which mislead the
    sniffer's count over whole rows); the sniffer then reads the quoting with it."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(DELIMITERS, key=first.count)
    if not first.count(delimiter):
        delimiter = ","
    try:
        return csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=delimiter)
    except csv.Error:
        return type("Found", (_Commas,), {"delimiter": delimiter})


def column_name(cell: str) -> str:
    """`Seats Active`, ` seats-active ` -> `seats_active`."""
    return re.sub(r"[^0-9a-z]+", "_", cell.strip().casefold()).strip("_")


Parsed = TypeVar("Parsed", bound=BaseModel)
Target = TypeVar("Target")


@dataclass(frozen=True, slots=True)
class Written:
    """What writing one row did (`CREATED`, `REPLACED`, `UNCHANGED`), and what to say of it;
    `REJECTED` when the store's rules refuse it (the note is the reason), the rest written."""

    outcome: str
    note: str = ""


class ImportKind(Protocol[Parsed, Target]):
    """What one kind of import knows: its columns, its row model, how a row finds what it is
    about (an account), and how a batch is written."""

    @property
    def model(self) -> type[Parsed]:
        """The row's model (pydantic), which checks every value."""
        ...

    @property
    def required(self) -> tuple[str, ...]:
        """Columns the header must have (after `column`)."""
        ...

    def column(self, cell: str) -> str:
        """The column a header cell names (aliases understood)."""
        ...

    def prepare(self, values: dict[str, str], *, decimal_comma: bool) -> dict[str, Any]:
        """A row's text as the model reads it (numbers written the file's way, say)."""
        ...

    def resolve(self, session: Session, rows: Sequence[Parsed]) -> Sequence[Target | str]:
        """What each row is about, or why it cannot be found (a reason): one query."""
        ...

    def key(self, row: Parsed, target: Target) -> object:
        """What a row is the one of in the file (say an account and a day)."""
        ...

    def write(self, session: Session, rows: Sequence[tuple[Parsed, Target]]) -> Sequence[Written]:
        """Write a batch (its keys distinct); what each row did, in order."""
        ...


class TeamImport:
    """The common part of a kind of import into one team's accounts: the team, and header
    cells read as columns through the kind's `aliases`."""

    aliases: ClassVar[dict[str, str]] = {}

    def __init__(self, *, team_id: str) -> None:
        self.team_id = team_id

    def column(self, cell: str) -> str:
        name = column_name(cell)
        return self.aliases.get(name, name)


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reasons: list[str]
    raw: list[str]


@dataclass
class ImportSummary:
    """What an import did."""

    encoding: str = ""
    delimiter: str = ""
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    rejected: list[Rejected] = field(default_factory=list)
    """The first `REJECTS_KEPT` rows rejected (all are in the rejects file)."""
    rejected_count: int = 0
    replaced: list[tuple[int, str]] = field(default_factory=list)
    """The line of each row that replaced what was there, and what it says of it."""
    rejects_file: Path | None = None


def reasons_of(error: ValidationError) -> list[str]:
    """Pydantic's errors as `column: message` lines."""
    reasons = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "row"
        message = str(item["ctx"]["error"]) if item["type"] == "value_error" else item["msg"]
        if item["type"] == "missing":
            message = "missing"
        reasons.append(f"{where}: {message}")
    return reasons


def run_import(
    db: Database,
    path: Path,
    kind: ImportKind[Parsed, Target],
    *,
    context: Mapping[str, Any],
    rejects: Path | None = None,
    batch_size: int = BATCH_SIZE,
    console: Console | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Import `path` as `kind`: every good row written (batches of `batch_size`, each one
    transaction), every bad one in the rejects file with its line and reasons. With `dry_run`
    each batch is checked and written as it would be, then rolled back: the summary says what
    an import would do, and nothing is written."""
    rejects = _rejects_path(path, rejects)
    with open_file(path, columns=kind.column) as source, _Rejects(rejects, source.cells) as out:
        _check_header(path, source, kind.required)
        summary = ImportSummary(encoding=source.encoding, delimiter=source.delimiter)
        progress = Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("lines"),
            console=console,
            transient=True,
        )
        seen: dict[object, int] = {}
        with progress:
            task = progress.add_task(path.name, total=source.lines)
            while batch := list(itertools.islice(source.rows, max(1, batch_size))):
                summary.rows += len(batch)
                refused = _import_batch(
                    db, kind, batch, context, seen, summary, source.delimiter, dry_run=dry_run
                )
                out.write(summary, sorted(refused, key=lambda r: r.line))
                progress.update(task, completed=batch[-1].end)
    summary.rejects_file = out.path if out.count else None
    return summary


def _check_header(path: Path, source: SourceFile, required: Sequence[str]) -> None:
    """Every column the kind needs, none twice (which of two `Date` columns counts cannot be
    guessed)."""
    missing = [name for name in required if name not in source.header]
    if missing:
        raise ImportFileError(
            f"{path} has no column {', '.join(missing)} (its header: "
            f"{', '.join(h for h in source.header if h) or 'empty'})"
        )
    for name in dict.fromkeys(source.header):
        cells = [
            cell.strip() for cell, of in zip(source.cells, source.header, strict=True) if of == name
        ]
        if name and len(cells) > 1:
            raise ImportFileError(
                f"{path} names the column {name} twice ({', '.join(cells)}): keep one"
            )


def _import_batch(
    db: Database,
    kind: ImportKind[Parsed, Target],
    batch: Sequence[SourceRow],
    context: Mapping[str, Any],
    seen: dict[object, int],
    summary: ImportSummary,
    delimiter: str,
    *,
    dry_run: bool = False,
) -> list[Rejected]:
    """Check a batch's rows, write the good ones in one transaction (rolled back on a dry
    run); the rejected ones."""
    refused: list[Rejected] = []
    parsed: list[tuple[SourceRow, Parsed]] = []
    for row in batch:
        try:
            values = kind.prepare(row.values, decimal_comma=delimiter != ",")
            parsed.append((row, kind.model.model_validate(values, context=dict(context))))
        except ValidationError as error:
            refused.append(Rejected(row.line, reasons_of(error), row.raw))
    if not parsed:
        return refused
    try:
        written, good = _write_batch(db, kind, parsed, seen, refused, dry_run=dry_run)
    except _DryRun as done:
        written, good = done.written, done.good
    for (row, model, target), result in zip(good, written, strict=True):
        if result.outcome == REJECTED:  # refused by the store's rules: not the first of its key
            refused.append(Rejected(row.line, [result.note], row.raw))
            del seen[kind.key(model, target)]
            continue
        summary.counts[result.outcome] += 1
        if result.outcome == REPLACED:
            summary.replaced.append((row.line, result.note))
    return refused


class _DryRun(Exception):
    """Raised inside a dry run's transaction once its batch is written, to roll it back."""

    def __init__(self, written: Sequence[Written], good: list[Any]) -> None:
        super().__init__("dry run: rolled back")
        self.written, self.good = written, good


def _write_batch(
    db: Database,
    kind: ImportKind[Parsed, Target],
    parsed: list[tuple[SourceRow, Parsed]],
    seen: dict[object, int],
    refused: list[Rejected],
    *,
    dry_run: bool,
) -> tuple[Sequence[Written], list[tuple[SourceRow, Parsed, Target]]]:
    """One transaction: find each row's target, skip a key seen before, write the rest."""
    with db.transaction() as session:
        targets = kind.resolve(session, [model for _, model in parsed])
        good: list[tuple[SourceRow, Parsed, Target]] = []
        for (row, model), target in zip(parsed, targets, strict=True):
            if isinstance(target, str):
                refused.append(Rejected(row.line, [target], row.raw))
                continue
            key = kind.key(model, target)
            if key in seen:
                reason = f"the same as line {seen[key]}: only the first is imported"
                refused.append(Rejected(row.line, [reason], row.raw))
                continue
            seen[key] = row.line
            good.append((row, model, target))
        written = kind.write(session, [(model, target) for _, model, target in good])
        if dry_run:
            raise _DryRun(written, good)
    return written, good


class _Rejects:
    """The rejects file, written as rejected rows come (in line order: batch by batch), opened
    at the first one; the summary keeps the first `REJECTS_KEPT` to show."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path, self.header, self.count = path, header, 0
        self._stack = contextlib.ExitStack()
        self._writer: Any = None

    def __enter__(self) -> _Rejects:
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def write(self, summary: ImportSummary, rows: Sequence[Rejected]) -> None:
        if rows and self._writer is None:
            out = self._stack.enter_context(self.path.open("w", encoding="utf-8", newline=""))
            self._writer = csv.writer(out)
            self._writer.writerow(["line", "reasons", *map(as_text, self.header)])
        for row in rows:
            self._writer.writerow(
                [row.line, as_text("; ".join(row.reasons)), *map(as_text, row.raw)]
            )
        self.count += len(rows)
        summary.rejected_count = self.count
        summary.rejected.extend(rows[: max(0, REJECTS_KEPT - len(summary.rejected))])


def _rejects_path(path: Path, rejects: Path | None) -> Path:
    """Where the rejected rows will go, checked before anything is imported: never the file
    being imported, and somewhere that can be written (else the good rows would go in with no
    record of the bad ones)."""
    target = rejects or path.with_name(f"{path.stem}.rejects.csv")
    if target.resolve() == path.resolve():
        raise ImportFileError(f"{target} is the file being imported: name another rejects file")
    folder = target.resolve().parent
    writable = (
        os.access(target, os.W_OK) and not target.is_dir()
        if target.exists()
        else folder.is_dir() and os.access(folder, os.W_OK)
    )
    if not writable:
        raise ImportFileError(
            f"cannot write the rejected rows to {target}: name a writable file with --rejects"
        )
    return target


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def as_text(cell: str) -> str:
    """A cell written back as text: one a spreadsheet would run as a formula (a crafted
    `=HYPERLINK(…)` in the file imported) gets a leading apostrophe, which shows it as typed."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
