"""Client accounts from a CSV file: parse, preview, apply.

* ``parse_client_csv(text)`` reads the text into rows and finds everything wrong with the file
  on its own (columns, empty companies, the same company or number twice, bad addresses, a
  word that is not yes or no); it touches no database.
* ``check_against_database(preview)`` marks rows that update an existing account and numbers
  that another account already holds.
* ``preview_client_csv(text)`` does both: what the staff see before they confirm.
* ``apply_client_import(preview, user)`` saves a valid preview: every row or, on any error,
  none; then claimed members whose number was imported become current clients.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import CLIENT_IMPORT, log_separately
from ..models import (
    ClientAccount,
    ClientInvoiceNumber,
    is_invoice_number,
    normalize_invoice_number,
)
from .status import match_claimed_members

COLUMNS = ("company", "invoice_numbers", "contact_emails", "active")
# What the database columns hold: a longer value is a row error, not a failed save.
COMPANY_MAX = ClientAccount._meta.get_field("company").max_length
NUMBER_MAX = ClientInvoiceNumber._meta.get_field("number").max_length
MAX_ROWS = 5000
TRUE_WORDS = {"", "1", "yes", "y", "true", "t", "+", "да", "д", "активен", "активна"}
FALSE_WORDS = {"0", "no", "n", "false", "f", "-", "нет", "н", "неактивен", "неактивна"}


def split_cell(value, pattern=r"[;,]"):
    """The parts of a cell that holds several values."""
    return [part.strip() for part in re.split(pattern, value or "") if part.strip()]


def parse_active(value):
    """True, False, or None when the word means neither."""
    word = (value or "").strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


@dataclass
class ImportRow:
    line: int
    company: str
    numbers: list = field(default_factory=list)
    emails: list = field(default_factory=list)
    active: bool | None = None  # None: the file has no "active" column
    account: ClientAccount | None = None
    errors: list = field(default_factory=list)

    @property
    def action(self):
        return "update" if self.account else "create"

    @property
    def active_after(self):
        """Whether the account is active once imported (unchanged when the file does not say)."""
        if self.active is not None:
            return self.active
        return self.account.active if self.account else True

    @property
    def action_label(self):
        return _("Update") if self.account else _("Create")


@dataclass
class ImportPreview:
    rows: list = field(default_factory=list)
    file_errors: list = field(default_factory=list)

    @property
    def error_rows(self):
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self):
        return bool(self.rows) and not self.file_errors and not self.error_rows

    @property
    def create_count(self):
        return sum(1 for row in self.rows if not row.account)

    @property
    def update_count(self):
        return sum(1 for row in self.rows if row.account)


# Parsing: the file on its own ------------------------------------------------------------------


def _read_header(text, preview):
    """The csv reader positioned after the header, and the header; None when it is unusable."""
    header_line = text.splitlines()[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    # newline="": the csv module reads CR, LF and CR LF line ends itself (Excel for Mac
    # writes CR only).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (csv.Error, StopIteration):
        preview.file_errors.append(_("The first line must name the columns."))
        return None, None
    unknown = [name for name in header if name and name not in COLUMNS]
    if "company" not in header:
        preview.file_errors.append(_("The first line must name the columns; 'company' is missing."))
    if unknown:
        preview.file_errors.append(
            _("Unknown columns: %(names)s. Expected: %(expected)s.")
            % {"names": ", ".join(unknown), "expected": ", ".join(COLUMNS)}
        )
    return (None, None) if preview.file_errors else (reader, header)


def _read_records(reader, header, preview):
    """(line, {column: cell}, too many cells) for each non-blank line; None on a file error."""
    records = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(records) >= MAX_ROWS:
                preview.file_errors.append(
                    _("At most %(count)s rows can be imported at once.") % {"count": MAX_ROWS}
                )
                return None
            record = dict(zip(header, values, strict=False))
            records.append((reader.line_num, record, len(values) > len(header)))
    except csv.Error as error:
        preview.file_errors.append(
            _("Line %(line)s cannot be read: %(error)s") % {"line": reader.line_num, "error": error}
        )
        return None
    return records


class _FileSeen:
    """What earlier rows of the file already hold: companies and numbers, by line."""

    def __init__(self):
        self.companies = {}
        self.numbers = {}


def _too_long(value, limit):
    return _("'%(value)s…' is longer than %(limit)s characters.") % {
        "value": value[:40],
        "limit": limit,
    }


def _check_company(row, seen):
    if not row.company:
        row.errors.append(_("The company is empty."))
        return
    if len(row.company) > COMPANY_MAX:
        row.errors.append(_too_long(row.company, COMPANY_MAX))
    key = row.company.casefold()
    if key in seen.companies:
        row.errors.append(
            _("The same company is on line %(line)s.") % {"line": seen.companies[key]}
        )
    else:
        seen.companies[key] = row.line


def _add_numbers(row, cell, seen):
    for number in split_cell(cell):
        normalized = normalize_invoice_number(number)
        if not is_invoice_number(normalized):
            row.errors.append(_("'%(number)s' has no letters or digits.") % {"number": number})
            continue
        if len(number) > NUMBER_MAX:
            row.errors.append(_too_long(number, NUMBER_MAX))
            continue
        first_line = seen.numbers.setdefault(normalized, row.line)
        if first_line != row.line:
            row.errors.append(
                _("Number %(number)s is also on line %(line)s.")
                % {"number": number, "line": first_line}
            )
        elif normalized not in map(normalize_invoice_number, row.numbers):
            row.numbers.append(number)  # the same number twice in one row: keep one


def _add_emails(row, cell):
    for email in split_cell(cell, r"[;,\s]+"):
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(_("'%(email)s' is not an e-mail address.") % {"email": email})
        else:
            if email not in row.emails:
                row.emails.append(email)


def _parse_row(line, record, too_many, has_active, seen):
    row = ImportRow(line=line, company=(record.get("company") or "").strip())
    if too_many:
        row.errors.append(_("More cells than columns: quote cells that contain the separator."))
    _check_company(row, seen)
    _add_numbers(row, record.get("invoice_numbers"), seen)
    _add_emails(row, record.get("contact_emails"))
    if has_active:
        row.active = parse_active(record.get("active"))
        if row.active is None:
            row.errors.append(
                _("active must be yes or no, not '%(value)s'.") % {"value": record.get("active")}
            )
    return row


def parse_client_csv(text):
    """Read and check every row of the file on its own; no database."""
    preview = ImportPreview()
    text = (text or "").lstrip("\ufeff")
    if not text.strip():
        preview.file_errors.append(_("The file is empty."))
        return preview
    reader, header = _read_header(text, preview)
    if reader is None:
        return preview
    records = _read_records(reader, header, preview)
    if records is None:
        return preview
    seen = _FileSeen()
    preview.rows = [
        _parse_row(line, record, too_many, "active" in header, seen)
        for line, record, too_many in records
    ]
    if not preview.rows:
        preview.file_errors.append(_("The file has no rows under the column names."))
    return preview


# Preview: the file against the database --------------------------------------------------------


def check_against_database(preview):
    """Rows whose company exists update that account; numbers another account holds are errors.

    Two queries, however many rows.
    """
    existing = {
        account.company.strip().casefold(): account
        for account in ClientAccount.objects.only("pk", "company", "contact_emails", "active")
    }
    for row in preview.rows:
        if row.company:
            row.account = existing.get(row.company.casefold())
    numbers = {normalize_invoice_number(number) for row in preview.rows for number in row.numbers}
    owners = {
        number.normalized: number.account
        for number in ClientInvoiceNumber.objects.filter(normalized__in=numbers).select_related(
            "account"
        )
    }
    for row in preview.rows:
        for number in row.numbers:
            owner = owners.get(normalize_invoice_number(number))
            if owner is not None and (row.account is None or owner.pk != row.account.pk):
                row.errors.append(
                    _("Number %(number)s already belongs to %(company)s.")
                    % {"number": number, "company": owner.company}
                )
    return preview


def preview_client_csv(text):
    """Every row as it will be saved, or what is wrong with it; nothing is saved."""
    preview = parse_client_csv(text)
    if preview.rows and not preview.file_errors:
        check_against_database(preview)
    return preview


# Apply -----------------------------------------------------------------------------------------


def _save_account(row):
    """The row's account, created or updated; returns it and the numbers it already has."""
    if row.account is None:
        account = ClientAccount.objects.create(
            company=row.company, contact_emails="\n".join(row.emails), active=row.active_after
        )
        return account, set()
    account = ClientAccount.objects.select_for_update().get(pk=row.account.pk)
    emails = account.contact_email_list
    emails += [email for email in row.emails if email not in emails]
    account.contact_emails = "\n".join(emails)
    if row.active is not None:
        account.active = row.active
    account.save()
    return account, set(account.invoice_numbers.values_list("normalized", flat=True))


@transaction.atomic
def apply_client_import(preview, user):
    """Save a valid preview: all rows or, on any error, none. Returns (created, updated, matched)."""
    if not preview.is_valid:
        raise ValueError("Only a preview without errors can be imported.")
    created = updated = 0
    imported_numbers = set()
    for row in preview.rows:
        account, existing = _save_account(row)
        if row.account is None:
            created += 1
        else:
            updated += 1
        order = len(existing)
        for number in row.numbers:
            normalized = normalize_invoice_number(number)
            imported_numbers.add(normalized)
            if normalized in existing:
                continue
            ClientInvoiceNumber.objects.create(account=account, number=number, sort_order=order)
            existing.add(normalized)
            order += 1
        log_separately(
            account, CLIENT_IMPORT, user, {"created": row.account is None, "line": row.line}
        )
    matched = match_claimed_members(imported_numbers, user)
    return created, updated, matched
