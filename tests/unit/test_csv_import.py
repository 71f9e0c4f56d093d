"""Client accounts from CSV, below the admin screen: parsing a file on its own (no database at
all: these tests have no ``db`` fixture, so a query would fail them), checking it against the
accounts the desk has, and applying it."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from wagtail.models import ModelLogEntry

from avsoft_support.audit import CLIENT_IMPORT, CLIENT_VERIFY
from avsoft_support.clients.csv_import import (
    COLUMNS,
    MAX_ROWS,
    apply_client_import,
    check_against_database,
    parse_client_csv,
    preview_client_csv,
)
from avsoft_support.clients.status import apply_invoice_number
from avsoft_support.models import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    normalize_invoice_number,
)


def only_row(preview):
    assert preview.file_errors == []
    [row] = preview.rows
    return row


def rows_of(preview):
    """What the staff see per row: line, company, numbers, e-mails, active, errors."""
    return [
        (row.line, row.company, row.numbers, row.emails, row.active, row.errors)
        for row in preview.rows
    ]


# The file as a whole ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n  \t\n", None, "\ufeff", "\ufeff\n"])
def test_an_empty_file_is_one_file_error(text):
    preview = parse_client_csv(text)
    assert preview.file_errors == ["The file is empty."]
    assert preview.rows == []
    assert not preview.is_valid


def test_a_header_without_company_is_refused():
    preview = parse_client_csv("invoice_numbers,contact_emails\nINV-1,a@example.com\n")
    assert preview.file_errors == ["The first line must name the columns; 'company' is missing."]
    assert preview.rows == []
    assert not preview.is_valid


def test_unknown_columns_are_named_with_the_expected_ones():
    preview = parse_client_csv("company,Phone,city\nAcme,123,Moscow\n")
    assert preview.file_errors == [
        "Unknown columns: phone, city. Expected: company, invoice_numbers, contact_emails, active."
    ]
    assert preview.rows == []


def test_a_header_with_neither_company_nor_known_columns_gets_both_errors():
    preview = parse_client_csv("name\nAcme\n")
    assert preview.file_errors == [
        "The first line must name the columns; 'company' is missing.",
        "Unknown columns: name. Expected: company, invoice_numbers, contact_emails, active.",
    ]


def test_column_names_ignore_case_spaces_and_order():
    preview = parse_client_csv(" Active ,CONTACT_EMAILS, Company\nno,a@example.com,Acme\n")
    row = only_row(preview)
    assert (row.company, row.emails, row.active, row.errors) == (
        "Acme",
        ["a@example.com"],
        False,
        [],
    )


def test_a_file_with_only_the_header_has_no_rows():
    for text in ("company,invoice_numbers\n", "company,invoice_numbers\n\n ,  \n\n"):
        preview = parse_client_csv(text)
        assert preview.file_errors == ["The file has no rows under the column names."]
        assert preview.rows == []
        assert not preview.is_valid


def test_semicolon_file_is_read_with_semicolons():
    # Excel in a Russian locale writes ";": commas inside cells then separate numbers.
    preview = parse_client_csv(
        "company;invoice_numbers;contact_emails\nAcme, Ltd;INV-1, INV-2;a@example.com\n"
    )
    row = only_row(preview)
    assert (row.company, row.numbers, row.emails, row.errors) == (
        "Acme, Ltd",
        ["INV-1", "INV-2"],
        ["a@example.com"],
        [],
    )


def test_comma_file_is_read_with_commas():
    preview = parse_client_csv(
        'company,invoice_numbers,contact_emails\n"Acme, Ltd",INV-1;INV-2,a@example.com\n'
    )
    row = only_row(preview)
    assert (row.company, row.numbers, row.emails, row.errors) == (
        "Acme, Ltd",
        ["INV-1", "INV-2"],
        ["a@example.com"],
        [],
    )


def test_a_single_column_header_means_commas():
    # No separator in the header: a comma file; a ";" in a cell is part of the name.
    row = only_row(parse_client_csv("company\nAcme; Ltd\n"))
    assert (row.company, row.errors) == ("Acme; Ltd", [])


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    preview = parse_client_csv("\ufeffcompany;invoice_numbers\r\nAcme;INV-1\r\n")
    row = only_row(preview)
    assert (row.line, row.company, row.numbers, row.errors) == (2, "Acme", ["INV-1"], [])
    assert preview.is_valid


def test_windows_line_ends_are_read():
    preview = parse_client_csv("company,invoice_numbers\r\nAcme,INV-1\r\nBeta,INV-2\r\n")
    assert [(row.line, row.company, row.numbers) for row in preview.rows] == [
        (2, "Acme", ["INV-1"]),
        (3, "Beta", ["INV-2"]),
    ]
    assert preview.is_valid


def test_a_file_with_carriage_return_line_ends_is_read():
    preview = parse_client_csv("company,invoice_numbers\rAcme,INV-1\rBeta,INV-2\r")
    assert preview.file_errors == []
    assert [(row.company, row.numbers) for row in preview.rows] == [
        ("Acme", ["INV-1"]),
        ("Beta", ["INV-2"]),
    ]


def test_blank_lines_are_skipped_and_lines_keep_their_numbers():
    text = "company,invoice_numbers\n\nAcme,INV-1\n   \n , \n\nBeta,INV-2\n\n"
    preview = parse_client_csv(text)
    assert [(row.line, row.company) for row in preview.rows] == [(3, "Acme"), (7, "Beta")]
    assert preview.is_valid


def test_a_cell_that_cannot_be_read_is_a_file_error_naming_its_line():
    huge = "x" * (csv.field_size_limit() + 1)
    preview = parse_client_csv(f"company\nAcme\n{huge}\n")
    assert preview.rows == []
    assert preview.file_errors == [
        f"Line 3 cannot be read: field larger than field limit ({csv.field_size_limit()})"
    ]


def test_at_most_max_rows():
    body = "".join(f"Company {n},N-{n}\n" for n in range(MAX_ROWS))
    full = parse_client_csv("company,invoice_numbers\n" + body)
    assert full.file_errors == []
    assert len(full.rows) == MAX_ROWS
    assert full.is_valid

    # Blank lines do not count; one more row does.
    over = parse_client_csv("company,invoice_numbers\n\n\n" + body + "One too many,N-X\n")
    assert over.file_errors == [f"At most {MAX_ROWS} rows can be imported at once."]
    assert over.rows == []
    assert not over.is_valid


# One row on its own ---------------------------------------------------------------------------


def test_more_cells_than_columns_is_a_row_error():
    preview = parse_client_csv("company,invoice_numbers\nAcme, Ltd,INV-1\nBeta,INV-2\n")
    assert rows_of(preview) == [
        (
            2,
            "Acme",
            ["Ltd"],
            [],
            None,
            ["More cells than columns: quote cells that contain the separator."],
        ),
        (3, "Beta", ["INV-2"], [], None, []),
    ]
    assert not preview.is_valid
    assert preview.error_rows == [preview.rows[0]]


def test_fewer_cells_than_columns_leave_the_rest_empty():
    row = only_row(parse_client_csv("company,invoice_numbers,contact_emails,active\nAcme\n"))
    # A missing "active" cell reads as empty, which means yes.
    assert (row.company, row.numbers, row.emails, row.active, row.errors) == (
        "Acme",
        [],
        [],
        True,
        [],
    )


@pytest.mark.parametrize("company", ["", "   "])
def test_an_empty_company_is_a_row_error(company):
    row = only_row(parse_client_csv(f"company,invoice_numbers\n{company},INV-1\n"))
    assert row.errors == ["The company is empty."]
    assert row.numbers == ["INV-1"]


def test_company_is_stripped():
    row = only_row(parse_client_csv("company\n  Acme Ltd  \n"))
    assert row.company == "Acme Ltd"


def test_the_same_company_twice_names_the_first_line():
    text = "company\nAcme Ltd\nBeta\n ACME LTD \nacme ltd\nStraße AG\nSTRASSE AG\n"
    preview = parse_client_csv(text)
    assert [(row.line, row.errors) for row in preview.rows] == [
        (2, []),
        (3, []),
        (4, ["The same company is on line 2."]),
        (5, ["The same company is on line 2."]),
        (6, []),
        (7, ["The same company is on line 6."]),  # casefold: ß is ss
    ]
    assert not preview.is_valid


def test_invoice_numbers_split_on_semicolons_and_commas():
    text = 'company,invoice_numbers\nAcme,"INV-1; INV-2,INV-3 ;; ,"\n'
    row = only_row(parse_client_csv(text))
    assert (row.numbers, row.errors) == (["INV-1", "INV-2", "INV-3"], [])


def test_the_same_number_twice_in_one_row_is_kept_once():
    # Case, spaces, dashes, dots and slashes do not count: these are one number.
    text = 'company,invoice_numbers\nAcme,"INV-1; inv 1; I/N.V_1, INV-2; inv-2"\n'
    row = only_row(parse_client_csv(text))
    assert (row.numbers, row.errors) == (["INV-1", "INV-2"], [])


def test_the_same_number_on_two_lines_names_the_first_line():
    text = "company,invoice_numbers\nAcme,INV-1;INV-2\nBeta,B-1\nGamma,inv 2;G-1\nDelta,INV-1\n"
    preview = parse_client_csv(text)
    assert [(row.line, row.numbers, row.errors) for row in preview.rows] == [
        (2, ["INV-1", "INV-2"], []),
        (3, ["B-1"], []),
        (4, ["G-1"], ["Number inv 2 is also on line 2."]),
        (5, [], ["Number INV-1 is also on line 2."]),
    ]


def test_a_number_with_only_separators_is_a_row_error():
    row = only_row(parse_client_csv('company,invoice_numbers\nAcme,"INV-1; -- ; ./_"\n'))
    assert row.numbers == ["INV-1"]
    assert row.errors == ["'--' has no letters or digits.", "'./_' has no letters or digits."]


@pytest.mark.parametrize("number", ["***", "#", "№"])
def test_a_number_without_letters_or_digits_is_a_row_error(number):
    row = only_row(parse_client_csv(f"company,invoice_numbers\nAcme,{number}\n"))
    assert row.errors == [f"'{number}' has no letters or digits."]
    assert row.numbers == []


@pytest.mark.parametrize("column, value", [("company", "A" * 256), ("invoice_numbers", "9" * 65)])
def test_values_longer_than_their_columns_are_row_errors(column, value):
    other = "invoice_numbers" if column == "company" else "company"
    preview = parse_client_csv(f"{column},{other}\n{value},X-1\n")
    assert preview.file_errors == []
    assert not preview.is_valid
    [row] = preview.rows
    assert row.errors


def test_emails_split_on_semicolons_commas_and_whitespace_and_keep_each_once():
    # A cell may hold a line break when quoted: that is whitespace too.
    text = (
        "company;contact_emails\n"
        'Acme;"a@example.com, b@example.com;c@example.com d@example.com\n\ta@example.com"\n'
    )
    row = only_row(parse_client_csv(text))
    assert row.emails == ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    assert row.errors == []
    assert row.line == 3  # a record over two lines is counted at its last line


def test_invalid_emails_are_row_errors_and_valid_ones_kept():
    text = "company,contact_emails\nAcme,a@example.com;not-an-address;b@;b@example.com\n"
    row = only_row(parse_client_csv(text))
    assert row.emails == ["a@example.com", "b@example.com"]
    assert row.errors == [
        "'not-an-address' is not an e-mail address.",
        "'b@' is not an e-mail address.",
    ]


@pytest.mark.parametrize(
    "word, active",
    [
        ("yes", True),
        ("Yes", True),
        (" Y ", True),
        ("true", True),
        ("1", True),
        ("+", True),
        ("", True),  # empty means yes (the import form says so)
        ("да", True),
        ("ДА", True),
        ("Д", True),
        ("активен", True),
        ("Активна", True),
        ("no", False),
        ("NO", False),
        ("n", False),
        ("false", False),
        ("0", False),
        ("-", False),
        ("нет", False),
        ("Нет", False),
        ("н", False),
        ("неактивен", False),
        ("неактивна", False),
    ],
)
def test_active_words_in_english_and_russian(word, active):
    row = only_row(parse_client_csv(f"company,active\nAcme,{word}\n"))
    assert (row.active, row.errors) == (active, [])
    assert row.active_after is active


@pytest.mark.parametrize("word", ["maybe", "2", "oui", "да нет"])
def test_an_unknown_active_word_is_a_row_error(word):
    row = only_row(parse_client_csv(f"company,active\nAcme,{word}\n"))
    assert row.active is None
    assert row.errors == [f"active must be yes or no, not '{word}'."]


def test_without_an_active_column_active_is_none():
    preview = parse_client_csv("company,invoice_numbers\nAcme,INV-1\n")
    row = only_row(preview)
    assert row.active is None
    assert row.errors == []
    # A new account starts active; nothing is said about an existing one.
    assert (row.action, row.active_after) == ("create", True)
    assert preview.is_valid
    assert (preview.create_count, preview.update_count) == (1, 0)


def test_every_error_of_a_row_is_listed():
    text = "company,invoice_numbers,contact_emails,active\n,--,nobody,perhaps,extra\n"
    row = only_row(parse_client_csv(text))
    assert row.errors == [
        "More cells than columns: quote cells that contain the separator.",
        "The company is empty.",
        "'--' has no letters or digits.",
        "'nobody' is not an e-mail address.",
        "active must be yes or no, not 'perhaps'.",
    ]


# A property: what a CSV writer writes, the parser reads back ------------------------------------

company_names = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)
invoice_numbers = st.from_regex(r"[A-Za-zА-Яа-я0-9][A-Za-zА-Яа-я0-9 \-/.]{0,15}", fullmatch=True)
emails = st.from_regex(r"[a-z][a-z0-9_]{0,8}@[a-z]{1,10}\.(com|ru|org)", fullmatch=True)
active_words = st.sampled_from([("yes", True), ("no", False), ("да", True), ("нет", False)])


@st.composite
def client_files(draw):
    """Rows with distinct companies (ignoring case) and distinct numbers (as normalised)."""
    companies = draw(
        st.lists(company_names, min_size=1, max_size=12, unique_by=lambda name: name.casefold())
    )
    taken = set()
    rows = []
    for company in companies:
        numbers = []
        for number in draw(st.lists(invoice_numbers.map(str.strip), max_size=4)):
            normalized = normalize_invoice_number(number)
            if normalized and normalized not in taken:
                taken.add(normalized)
                numbers.append(number)
        addresses = draw(st.lists(emails, max_size=3, unique=True))
        word, active = draw(active_words)
        rows.append((company, numbers, addresses, word, active))
    return draw(st.sampled_from([",", ";"])), rows


@settings(max_examples=150, deadline=None)
@given(client_files())
def test_any_file_a_csv_writer_writes_reads_back_as_its_rows(drawn):
    delimiter, rows = drawn
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(COLUMNS)
    for company, numbers, addresses, word, _active in rows:
        writer.writerow([company, "; ".join(numbers), ", ".join(addresses), word])

    preview = parse_client_csv(out.getvalue())

    assert preview.file_errors == []
    assert [
        (row.errors, row.company, row.numbers, row.emails, row.active) for row in preview.rows
    ] == [
        ([], company, numbers, addresses, active)
        for company, numbers, addresses, _word, active in rows
    ]
    assert preview.is_valid


# Against the database -----------------------------------------------------------------------


def make_account(company, numbers=(), emails="", active=True):
    account = ClientAccount.objects.create(company=company, contact_emails=emails, active=active)
    for order, number in enumerate(numbers):
        ClientInvoiceNumber.objects.create(account=account, number=number, sort_order=order)
    return account


def test_an_existing_company_is_updated_whatever_its_case(db):
    acme = make_account("Acme Ltd")
    preview = preview_client_csv("company\nACME LTD\nNew Co\n")
    assert [(row.company, row.account, row.action) for row in preview.rows] == [
        ("ACME LTD", acme, "update"),
        ("New Co", None, "create"),
    ]
    assert [str(row.action_label) for row in preview.rows] == ["Update", "Create"]
    assert (preview.create_count, preview.update_count) == (1, 1)
    assert preview.is_valid


def test_a_number_another_account_holds_is_an_error_naming_that_company(db):
    make_account("Beta Corp", ["INV-77"])
    preview = preview_client_csv("company,invoice_numbers\nAcme,inv 77;INV-78\n")
    row = only_row(preview)
    assert row.errors == ["Number inv 77 already belongs to Beta Corp."]
    assert not preview.is_valid


def test_a_number_the_same_account_holds_is_fine(db):
    acme = make_account("Acme", ["INV-77"])
    preview = preview_client_csv("company,invoice_numbers\nacme,INV 77;INV-78\n")
    row = only_row(preview)
    assert (row.account, row.errors) == (acme, [])
    assert preview.is_valid


def test_a_file_with_file_errors_is_not_checked_against_the_database(db):
    make_account("Acme")
    with CaptureQueriesContext(connection) as queries:
        preview = preview_client_csv("company,phone\nAcme,1\n")
    assert len(queries) == 0
    assert preview.file_errors and preview.rows == []


@pytest.mark.parametrize("count", [1, 300])
def test_the_check_is_two_queries_however_many_rows(db, count):
    for n in range(0, count, 2):
        make_account(f"Company {n}", [f"N-{n}"])
    text = "company,invoice_numbers\n" + "".join(f"company {n},N-{n};M-{n}\n" for n in range(count))
    preview = parse_client_csv(text)

    with CaptureQueriesContext(connection) as queries:
        check_against_database(preview)

    assert len(queries) == 2
    assert preview.update_count == (count + 1) // 2
    assert preview.is_valid


# Apply ----------------------------------------------------------------------------------------


@pytest.fixture
def importer(make_staff):
    return make_staff(username="importer")


def import_entries(account):
    return list(
        ModelLogEntry.objects.filter(action=CLIENT_IMPORT, object_id=str(account.pk)).order_by("pk")
    )


def test_apply_creates_and_updates_accounts(db, importer):
    acme = make_account("Acme", ["INV-1"], emails="old@acme.example", active=False)
    text = (
        "company,invoice_numbers,contact_emails\n"
        "ACME,INV-1;INV-2;inv 3,new@acme.example;old@acme.example\n"
        "Beta,B-1;B-2,b@beta.example\n"
    )
    preview = preview_client_csv(text)

    assert apply_client_import(preview, importer) == (1, 1, 0)

    acme.refresh_from_db()
    assert acme.company == "Acme"  # the row finds the account; it does not rename it
    assert acme.contact_email_list == ["old@acme.example", "new@acme.example"]
    assert acme.active is False  # the file has no "active" column: unchanged
    assert list(
        acme.invoice_numbers.order_by("sort_order").values_list("number", "sort_order")
    ) == [
        ("INV-1", 0),
        ("INV-2", 1),
        ("inv 3", 2),
    ]
    beta = ClientAccount.objects.get(company="Beta")
    assert beta.active is True
    assert beta.contact_email_list == ["b@beta.example"]
    assert list(
        beta.invoice_numbers.order_by("sort_order").values_list("number", "sort_order")
    ) == [
        ("B-1", 0),
        ("B-2", 1),
    ]

    [acme_entry] = import_entries(acme)
    [beta_entry] = import_entries(beta)
    assert (acme_entry.user, acme_entry.data) == (importer, {"created": False, "line": 2})
    assert (beta_entry.user, beta_entry.data) == (importer, {"created": True, "line": 3})
    assert acme_entry.uuid != beta_entry.uuid  # each its own entry in the history


def test_apply_sets_active_when_the_file_says(db, importer):
    acme = make_account("Acme", active=True)
    gone = make_account("Gone", active=False)
    preview = preview_client_csv("company;active\nAcme;нет\nGone;да\nNew;no\n")

    assert apply_client_import(preview, importer) == (1, 2, 0)

    assert ClientAccount.objects.get(pk=acme.pk).active is False
    assert ClientAccount.objects.get(pk=gone.pk).active is True
    assert ClientAccount.objects.get(company="New").active is False


def test_apply_matches_claimed_members_of_the_imported_numbers(db, importer, make_member):
    def claimed(username, number):
        user = make_member(username=username, full_name=username.title())
        profile = MemberProfile.objects.get(user=user)
        assert apply_invoice_number(profile, number) is None
        assert profile.client_status == ClientStatus.CLAIMED
        return profile

    anna = claimed("anna", "inv 77")
    boris = claimed("boris", "INV-99")  # not in the file
    vera = claimed("vera", "INV-77")
    vera.automatic_match_blocked = True  # staff withdrew her verification earlier
    vera.save()

    preview = preview_client_csv("company,invoice_numbers\nGamma,INV-77\n")
    assert apply_client_import(preview, importer) == (1, 0, 1)

    gamma = ClientAccount.objects.get(company="Gamma")
    anna.refresh_from_db()
    assert (anna.client_status, anna.client_account, anna.verified_by) == (
        ClientStatus.CURRENT,
        gamma,
        None,  # matched automatically, not by a person
    )
    assert anna.verified_at is not None
    for other in (boris, vera):
        other.refresh_from_db()
        assert (other.client_status, other.client_account) == (ClientStatus.CLAIMED, None)
    [verify] = ModelLogEntry.objects.filter(action=CLIENT_VERIFY, object_id=str(gamma.pk))
    assert verify.user == importer
    assert verify.data["automatic"] is True
    assert verify.data["member"] == "Anna"


def test_an_inactive_account_imported_matches_nobody(db, importer, make_member):
    user = make_member(username="anna")
    profile = MemberProfile.objects.get(user=user)
    apply_invoice_number(profile, "INV-77")

    preview = preview_client_csv("company,invoice_numbers,active\nGamma,INV-77,no\n")
    assert apply_client_import(preview, importer) == (1, 0, 0)

    profile.refresh_from_db()
    assert profile.client_status == ClientStatus.CLAIMED


@pytest.mark.parametrize(
    "text",
    [
        "company,invoice_numbers\nAcme,INV-1\n,INV-2\n",  # one bad row among good ones
        "company,phone\nAcme,1\n",  # a file error
        "company\n",  # no rows
    ],
)
def test_apply_refuses_an_invalid_preview_and_saves_nothing(db, importer, text):
    preview = preview_client_csv(text)
    assert not preview.is_valid

    with pytest.raises(ValueError, match="Only a preview without errors can be imported."):
        apply_client_import(preview, importer)

    assert ClientAccount.objects.count() == 0
    assert ClientInvoiceNumber.objects.count() == 0
    assert not ModelLogEntry.objects.filter(action=CLIENT_IMPORT).exists()


def test_apply_refuses_a_preview_whose_number_belongs_to_another_account(db, importer):
    beta = make_account("Beta", ["INV-1"])
    preview = preview_client_csv("company,invoice_numbers\nAcme,INV-2\nGamma,INV-1\n")

    with pytest.raises(ValueError):
        apply_client_import(preview, importer)

    assert list(ClientAccount.objects.values_list("company", flat=True)) == ["Beta"]
    assert list(ClientInvoiceNumber.objects.values_list("account", "number")) == [
        (beta.pk, "INV-1")
    ]
