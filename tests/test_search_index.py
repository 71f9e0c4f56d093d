"""The staff ticket search goes through the full-text index (search_index.py) and finds what
agents type: numbers, e-mails, names, companies, the invoice number, words that occur only
in the conversation, Russian word forms; and it keeps up as tickets and messages change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avsoft_support import search_index, tickets
from avsoft_support.models import Ticket
from tests.test_admin_triage import LIST_URL, listed_ids

pytestmark = pytest.mark.django_db


def found(query):
    return sorted(
        search_index.search_tickets(Ticket.objects.all(), query).values_list("pk", flat=True)
    )


@pytest.fixture
def printer(make_admin_ticket, make_member):
    author = make_member(
        username="olga",
        email="olga.smirnova@zavod.ru",
        full_name="Ольга Смирнова",
        company="ООО Ромашка",
    )
    return make_admin_ticket(
        author=author,
        subject="Принтер не печатает",
        invoice_number="INV-2026/0042",
        body="Драйвер выдаёт ошибку 0x80070005 при запуске спулера.",
    )


@pytest.fixture
def other(make_admin_ticket):
    return make_admin_ticket(subject="Licence renewal", body="Please renew our licence.")


def test_finds_number_email_name_company_invoice_and_body_words(printer, other):
    assert found(printer.number) == [printer.pk]
    assert found(str(printer.pk)) == [printer.pk]  # "42" for 2026-00042
    assert found("olga.smirnova@zavod.ru") == [printer.pk]
    assert found("СМИРНОВА") == [printer.pk]
    assert found("ромашка") == [printer.pk]
    assert found("INV-2026/0042") == [printer.pk]
    # Only in the message body, never in the subject or the customer's data.
    assert found("спулера") == [printer.pk]
    assert found("0x80070005") == [printer.pk]
    assert found("renew") == [other.pk]


def test_russian_word_forms_and_yo(printer):
    # "принтера", "принтеры" find "Принтер"; "ошибки" finds "ошибку"; "выдает" finds "выдаёт".
    for form in ("принтера", "принтеры", "ошибки", "выдает", "печатают"):
        assert found(form) == [printer.pk], form


def test_earlier_words_match_whole_in_any_form_the_last_as_a_beginning(printer, other):
    """Every word but the last is a whole word, in any of its forms (its stem is indexed beside
    it); the last one may be a beginning, as typed so far."""
    assert found("принтеры не печатают") == [printer.pk]
    assert found("ошибкой драйвера") == [printer.pk]
    assert found("licences renewed") == [other.pk]
    assert found("спулер принт") == [printer.pk]
    assert found("ромаш") == [printer.pk]
    assert found("принт спулера") == []  # "принт" is not a word of the ticket


def test_only_the_last_word_is_looked_up_as_a_prefix(printer):
    """A prefix reads the postings of every word it begins (at 100,000 tickets "company"* is ten
    times "company"); whole words are looked up and skipped through. The whole words find the
    candidates and the last word's beginning is checked on them alone: on their text (SQLite)
    or their stored vector (PostgreSQL)."""
    executed = []

    def keep(execute, sql, params, many, context):
        executed.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        queryset = search_index.search_tickets(
            Ticket.objects.order_by(), "Принтеры INV 2026 печата"
        )
        assert list(queryset.values_list("pk", flat=True)) == [printer.pk]
    if connection.vendor == "sqlite":
        whole = '("принтер" OR "принтеры") AND "inv" AND "2026"'
        assert not any("*" in str(params) for params in executed), executed
    else:
        whole = "(принтер | принтеры) & inv & 2026"
        assert any(list(params[:2]) == ["печат:*", whole] for params in executed), executed
        assert not any("& печат:*" in str(params) for params in executed), executed
    assert any(whole in params for params in executed if params), executed


def test_too_many_candidates_for_the_last_word_read_its_prefix(make_admin_ticket, monkeypatch):
    """Past ``MATCH_IDS_LIMIT`` candidates of the whole words, the last word is looked up as a
    prefix in the index after all; either way the same tickets are found."""
    matching = [make_admin_ticket(subject=f"Сканер не сканирует {n}").pk for n in range(3)]
    make_admin_ticket(subject="Сканер в порядке")
    for limit in (3, 4):  # four tickets have the whole word
        monkeypatch.setattr(search_index, "MATCH_IDS_LIMIT", limit)
        executed = []

        def keep(execute, sql, params, many, context, executed=executed):
            executed.append(params)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(keep):
            assert found("сканер сканир") == matching
        prefix = '"сканир"*' if connection.vendor == "sqlite" else "& сканир:*"
        read_prefix = any(prefix in str(params) for params in executed)
        assert read_prefix == (limit == 3), executed


def test_identifiers_are_found_as_typed(make_admin_ticket, make_member):
    """E-mails, logins and invoice numbers are indexed as typed, without stems: a query word is
    looked up as its stem or as itself ("sales", "company")."""
    author = make_member(username="sales-desk", email="sales.reports@company.example")
    ticket = make_admin_ticket(author=author, subject="Счёт не пришёл")
    make_admin_ticket(subject="Licence renewal")
    assert found("sales.reports@company.example") == [ticket.pk]
    assert found("sales.reports@compan") == [ticket.pk]
    assert found("company sales") == [ticket.pk]
    assert found("sales-desk") == [ticket.pk]
    text = Ticket.objects.get(pk=ticket.pk).search_text
    assert "sales reports company example" in text and " sale " not in f" {text} "


def test_every_word_must_match(printer, other):
    assert found("принтер licence") == []
    assert found("принтер смирнова") == [printer.pk]
    assert found("nothing-like-this") == []


def test_new_messages_and_changed_customer_data_are_searchable(printer, make_member):
    tickets.add_message(printer, printer.author, "Теперь сканер тоже сломался", from_staff=False)
    assert found("сканер") == [printer.pk]

    profile = printer.author.support_profile
    profile.company = "АО Василёк"
    profile.save()
    assert found("василек") == [printer.pk]
    assert found("ромашка") == []

    printer.author.email = "o.smirnova@newmail.example"
    printer.author.save()
    assert found("newmail") == [printer.pk]


def test_deleted_member_leaves_the_search_text(printer):
    printer.author.delete()
    assert found("смирнова") == []
    assert found("спулера") == [printer.pk]  # the conversation stays the company's record


def test_blanked_texts_are_rebuilt_in_batches(make_admin_ticket):
    """A migration that changes what is indexed blanks the texts; the post_migrate backfill
    rebuilds them, a batch at a time."""
    made = [make_admin_ticket(subject=f"Сканеры не сканируют {n}") for n in range(5)]
    Ticket.objects.update(search_text="")
    assert found("сканер") == []
    search_index.backfill(batch=2)
    assert found("сканеры") == [ticket.pk for ticket in made]
    text = Ticket.objects.get(pk=made[0].pk).search_text
    assert "сканеры сканер" in text and "сканируют сканир" in text


def index_reads(captured):
    """The queries that read the search index: the FTS5 table, or the stored vector's column."""
    marks = (f"FROM {search_index.FTS_TABLE} WHERE", f".{search_index.PG_VECTOR} @@ to_tsquery")
    return [q for q in captured if any(mark in q["sql"] for mark in marks)]


def test_the_database_reads_the_index(printer):
    """The search reads the index: FTS5 once on SQLite, then the listing reads the matches by
    id; the GIN index on PostgreSQL, in the listing's own queries."""
    executed = []

    def keep(execute, sql, params, many, context):
        executed.append({"sql": sql, "params": params})
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        queryset = search_index.search_tickets(Ticket.objects.order_by(), "принтер")
    assert list(queryset.values_list("pk", flat=True)) == [printer.pk]
    if connection.vendor == "sqlite":
        [read] = index_reads(executed)
        assert not index_reads([{"sql": str(queryset.query)}])  # the rows by id, no 2nd read
    else:  # a condition of the listing's own queries
        assert not executed
        sql, params = queryset.values("pk").query.sql_with_params()
        read = {"sql": sql, "params": params}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + read["sql"], read["params"])
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + read["sql"], read["params"])
        plan = "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        assert search_index.PG_INDEX in plan, plan
    else:
        assert "VIRTUAL TABLE INDEX" in plan.upper(), plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored vector")
def test_an_upgrade_gets_the_stored_vector_and_drops_the_expression_index(printer):
    """A database indexed by the first releases (a GIN index on the expression, no column)
    gets the stored column and its index at the next migrate, filled for the rows it has, and
    loses the old index. Run again, nothing changes."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        # The fixture's rows leave deferred key checks pending, which ALTER TABLE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP INDEX {search_index.PG_INDEX}")
        cursor.execute(f"ALTER TABLE {table} DROP COLUMN {search_index.PG_VECTOR}")
        cursor.execute(
            f"CREATE INDEX {search_index.PG_EXPRESSION_INDEX} ON {table} "
            "USING gin (to_tsvector('simple', search_text))"
        )
    search_index.ensure_index()
    search_index.ensure_index()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE 'avs_ticket_search%%'",
            [Ticket._meta.db_table],
        )
        assert [row[0] for row in cursor.fetchall()] == [search_index.PG_INDEX]
        cursor.execute(
            f"SELECT {search_index.PG_VECTOR} @@ to_tsquery('simple', 'спулера') FROM {table} "  # noqa: S608
            "WHERE id = %s",
            [printer.pk],
        )
        assert cursor.fetchone() == (True,)
    assert found("спулера") == [printer.pk]
    printer.subject = "Сканер не сканирует"
    printer.save()
    assert found("сканер") == [printer.pk]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="ids are listed on SQLite only")
def test_more_matches_than_the_id_list_keeps_the_index_in_the_query(make_admin_ticket, monkeypatch):
    """Past ``MATCH_IDS_LIMIT`` matches the ids are not listed: the listing's queries read the
    index themselves, and find the same tickets."""
    matching = [make_admin_ticket(subject=f"Сканер не сканирует {n}").pk for n in range(3)]
    make_admin_ticket(subject="Licence renewal")
    monkeypatch.setattr(search_index, "MATCH_IDS_LIMIT", 2)
    queryset = search_index.search_tickets(Ticket.objects.order_by("pk"), "сканер")
    assert index_reads([{"sql": str(queryset.query)}])
    assert list(queryset.values_list("pk", flat=True)) == matching
    monkeypatch.setattr(search_index, "MATCH_IDS_LIMIT", 3)
    queryset = search_index.search_tickets(Ticket.objects.order_by("pk"), "сканер")
    assert not index_reads([{"sql": str(queryset.query)}])
    assert list(queryset.values_list("pk", flat=True)) == matching


@pytest.mark.skipif(connection.vendor != "sqlite", reason="ids are listed on SQLite only")
def test_the_matched_ids_go_to_the_listing_as_one_parameter(make_admin_ticket):
    """However many tickets match, the listing's queries bind one JSON list, not a
    placeholder per ticket (Django building and SQLite parsing thousands of them)."""
    matching = [make_admin_ticket(subject=f"Сканер не сканирует {n}").pk for n in range(40)]
    make_admin_ticket(subject="Licence renewal")
    queryset = search_index.search_tickets(Ticket.objects.order_by("pk"), "сканер")
    sql, params = queryset.values("pk").query.sql_with_params()
    assert "json_each" in sql and len(params) == 1
    assert list(queryset.values_list("pk", flat=True)) == matching
    assert queryset.count() == 40


def test_admin_listing_searches_through_the_index(verified_staff_client, printer, other):
    response = verified_staff_client.get(LIST_URL, {"q": "спулера"})
    assert listed_ids(response) == [printer.pk]
    response = verified_staff_client.get(LIST_URL, {"q": "INV-2026/0042"})
    assert listed_ids(response) == [printer.pk]


def test_admin_search_query_count_does_not_grow_with_matches(
    verified_staff_client, make_admin_ticket
):
    make_admin_ticket(subject="Общая проблема 0")
    verified_staff_client.get(LIST_URL, {"q": "проблема"})
    with CaptureQueriesContext(connection) as one:
        assert len(listed_ids(verified_staff_client.get(LIST_URL, {"q": "проблема"}))) == 1
    for n in range(1, 20):
        make_admin_ticket(subject=f"Общая проблема {n}")
    verified_staff_client.get(LIST_URL, {"q": "проблема"})  # the counters recount once
    with CaptureQueriesContext(connection) as twenty:
        assert len(listed_ids(verified_staff_client.get(LIST_URL, {"q": "проблема"}))) == 20
    assert len(twenty) == len(one), "\n".join(q["sql"] for q in twenty)
