"""The ticket search index: one normalised text per ticket, searched through a full-text index.

``Ticket.search_text`` holds the words staff look a ticket up by: its number written several
ways, subject, invoice number, product name typed by the customer, the customer's e-mail, login, name and company, and
the words of every message (internal notes too: only staff search). The text is lower-cased,
"ё" is "е", and it is split into words here, in Python, so that both databases see the same
plain words:

- SQLite: an FTS5 table over that column (``avsoft_support_ticket_fts``, external content,
  kept current by triggers);
- PostgreSQL: the text's ``to_tsvector('simple', ...)`` kept in a stored generated column
  (``avs_search_vector``, unknown to the model) with a GIN index on it. Stored, not an index on
  the expression: a query whose matches are many rechecks or scans them, and computing
  ``to_tsvector`` again for each row took 3.8 s for "company" at 100,000 tickets (0.2 ms read
  stored); the listing can then filter on it directly, with no fenced subquery.

Both are made after ``migrate`` (``ensure_index``, from the app's post_migrate receiver): a
migration may not hold database-specific DDL here, and the index is derived data anyway.

Words people write (messages, subject, names, companies) go in with their stem (Snowball's
Russian or English stemmer) where it differs: "принтеры" is indexed as "принтеры принтер".
Identifiers (the number's forms, invoice numbers, login, e-mail, phone) go in as typed. Each
word of a query but the last must match its stem or itself whole; the last one, perhaps still
being typed, as a prefix (as search-as-you-type boxes do; ``query_terms``). So "принтера не
печатает" finds "Принтеры не печатают", "compan" finds "company", and numbers match whole
("42" finds ticket 2026-00042 and not every number starting with 42, which at 100,000 tickets
would be thousands). Whole words are what keeps a search cheap at any size: FTS5 and GIN look
a word up and skip through its postings, while a prefix reads the postings of every word it
begins (over 100,000 tickets `"company"* "5"` took 17 ms, `("compani" OR "company") AND "5"`
2.1 ms).
"""

import functools
import json
import re
import threading

import snowballstemmer
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections
from django.db.models import BooleanField, F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Substr

from .models import MemberProfile, Message, Ticket
from .models.tickets import number_words

# The user → profile relation, to see whether a user's profile is loaded already.
_PROFILE_REL = MemberProfile._meta.get_field("user").remote_field

WORD = re.compile(r"\w+")
FTS_TABLE = "avsoft_support_ticket_fts"
PG_VECTOR = "avs_search_vector"
PG_INDEX = "avs_ticket_search_vector"
# The index of the first releases, on the expression: dropped once the column's is made.
PG_EXPRESSION_INDEX = "avs_ticket_search_fts"
# A long pasted log must not make one ticket's text (and its index entry) huge: the first
# this many characters of each message's words are indexed.
MESSAGE_LIMIT = 20_000
TEXT_LIMIT = 500_000

CYRILLIC = re.compile("[а-я]")
_stemmers = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


def words(text):
    return WORD.findall((text or "").lower().replace("ё", "е"))


def normalize(text, limit=None):
    joined = " ".join(words(text))
    return joined[:limit].rsplit(" ", 1)[0] if limit and len(joined) > limit else joined


@functools.lru_cache(maxsize=100_000)
def stem(word):
    """The word's Snowball stem (Russian for Cyrillic words, English otherwise); words with
    a digit (numbers, codes, "customer5") as they are. Cached: a desk's vocabulary repeats."""
    if any(char.isdigit() for char in word):
        return word
    language = "russian" if CYRILLIC.search(word) else "english"
    stemmer = getattr(_stemmers, language, None)
    if stemmer is None:
        stemmer = snowballstemmer.stemmer(language)
        setattr(_stemmers, language, stemmer)
    return stemmer.stemWord(word)


def index_text(text, limit=None):
    """``text`` as it is indexed: its words (the first ``limit`` characters of them), each
    followed by its stem where that differs."""
    return " ".join(
        word if (base := stem(word)) == word else f"{word} {base}"
        for word in normalize(text, limit).split()
    )


def query_terms(query):
    """Each word of ``query`` as the index is asked for it: a list (one per word, all must
    match) of alternatives ``(term, as_prefix)``, any of which may match. Numbers whole; every
    word but the last as its stem or itself, whole (identifiers such as e-mails are indexed
    without stems); the last, perhaps still being typed, as a prefix of its stem, or of itself
    too where the stem is not its beginning ("company": "compani")."""
    found = words(query)
    terms = []
    for at, word in enumerate(found):
        base = stem(word)
        last = at == len(found) - 1 and not word.isdigit()
        if last and word.startswith(base):
            terms.append([(base, True)])
        else:
            terms.append([(term, last) for term in dict.fromkeys((base, word))])
    return terms


def number_variants(number, pk):
    """2026-00042 is also found as "42" and "202600042"."""
    return [number_words(number, pk)] if number else []


def ticket_head(ticket, user=None, profile=None, number=None):
    """The ticket's own words (all but its messages). Identifiers (the number's forms, invoice
    numbers, login, e-mail, phone) go in as typed; words people write in forms (subject,
    product, names, companies: "Ромашки", "Смирновой") with their stems."""
    identifiers = [*number_variants(number or ticket.number, ticket.pk), ticket.invoice_number]
    wording = [ticket.subject, ticket.product_other]
    if user is not None:
        identifiers += [user.get_username(), getattr(user, "email", "")]
        wording += [getattr(user, "first_name", ""), getattr(user, "last_name", "")]
    if profile is not None:
        account = profile.client_account if profile.client_account_id else None
        identifiers += [profile.invoice_number, profile.phone]
        wording += [
            profile.full_name,
            profile.company,
            account.company if account is not None else "",
        ]
    return " ".join(
        part
        for part in (
            normalize(" ".join(part for part in identifiers if part)),
            index_text(" ".join(part for part in wording if part)),
        )
        if part
    )


def ticket_text(head, bodies):
    text = " ".join([head, *(index_text(body, MESSAGE_LIMIT) for body in bodies)])
    return text[:TEXT_LIMIT]


# Keeping it current -----------------------------------------------------------------------


def _profile_of(user):
    try:
        return user.support_profile
    except ObjectDoesNotExist:  # a user without a profile (staff, an old account)
        return None


def reindex(ticket_ids):
    """Rebuild the text of these tickets: three queries however many tickets."""
    ticket_ids = list(ticket_ids)
    if not ticket_ids:
        return
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids).select_related(
            "author", "author__support_profile", "author__support_profile__client_account"
        )
    )
    bodies = {}
    for ticket_id, body in (
        Message.objects.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "body")
    ):
        bodies.setdefault(ticket_id, []).append(body)
    for ticket in tickets:
        author = ticket.author
        head = ticket_head(ticket, author, _profile_of(author) if author is not None else None)
        ticket.search_text = ticket_text(head, bodies.get(ticket.pk, ()))
    Ticket.objects.bulk_update(tickets, ["search_text"], batch_size=500)


# Set on a new ticket's first message whose words went in with the ticket (prepare_new_ticket).
_INDEXED_WITH_TICKET = "_avsoft_support_indexed_with_ticket"


def indexed_with_ticket(message):
    """Mark an unsaved message whose words its new ticket's text holds already: saving it
    appends nothing."""
    setattr(message, _INDEXED_WITH_TICKET, True)


def append_message(message):
    """A new message's words go onto its ticket's text: one UPDATE, nothing read."""
    if getattr(message, _INDEXED_WITH_TICKET, False):
        return
    extra = index_text(message.body, MESSAGE_LIMIT)
    if not extra:
        return
    Ticket.objects.filter(pk=message.ticket_id).update(
        search_text=Substr(Concat(F("search_text"), Value(" " + extra)), 1, TEXT_LIMIT)
    )
    if Message.ticket.is_cached(message):
        ticket = message.ticket
        # The caller's ticket object says what the row now says; one loaded without the text
        # (Ticket.objects.for_display) reads it from the row if it ever asks.
        if "search_text" not in ticket.get_deferred_fields():
            ticket.search_text = f"{ticket.search_text} {extra}"[:TEXT_LIMIT]


def prepare_new_ticket(ticket, first_message=""):
    """A ticket about to be filed: its own words go in with the INSERT (its messages add theirs
    as they come; Ticket.save() puts the number's forms in front once the number exists).
    ``first_message``: the body of the message it is filed with, whose words then go in too
    (mark that message with ``indexed_with_ticket``), as ``append_message`` would add them.
    No query when the author's profile is already loaded, as on the filing path."""
    author = ticket.author if ticket.author_id else None
    profile = None
    if author is not None:
        if _PROFILE_REL.is_cached(author):
            profile = _PROFILE_REL.get_cached_value(author)
        else:
            profile = (
                MemberProfile.objects.filter(user_id=author.pk)
                .select_related("client_account")
                .first()
            )
    head = ticket_head(ticket, author, profile)
    extra = index_text(first_message, MESSAGE_LIMIT)
    ticket.search_text = (f"{head} {extra}" if head and extra else head or extra)[:TEXT_LIMIT]


def backfill(using="default", batch=1000):
    """Tickets with no text yet (filed before the index existed, or blanked by a migration that
    changes what is indexed): indexed in batches, walking the primary key so that each batch
    reads about its own rows, not the table again."""
    after = 0
    while True:
        ids = list(
            Ticket.objects.using(using)
            .filter(search_text="", pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return
        reindex(ids)
        if len(ids) < batch:
            return
        after = ids[-1]


def reindex_member(user_id):
    """A customer's e-mail, name or company changed: their tickets' texts (bounded by what one
    customer files)."""
    reindex(Ticket.objects.filter(author_id=user_id).values_list("pk", flat=True))


# Searching --------------------------------------------------------------------------------


def search_tickets(queryset, query):
    """``queryset`` narrowed to the tickets whose text has every word of ``query`` (the last
    as a prefix), through the index. The queryset's own order stays."""
    terms = query_terms(query)
    if not terms:
        return queryset
    vendor = connections[queryset.db].vendor
    table = connections[queryset.db].ops.quote_name(Ticket._meta.db_table)
    if vendor == "sqlite":
        return _search_fts5(queryset, terms, table)
    if vendor == "postgresql":
        return _search_postgresql(queryset, terms, table)
    # Another database: no index, the same matching by prefix of any word (numbers too).
    condition = Q()
    for either in terms:
        condition &= _beginning_q(either)
    return queryset.filter(condition)


def _search_postgresql(queryset, terms, table):
    """PostgreSQL: a condition on the listing's own rows, or the candidates' ids."""
    if whole := _words_before_a_prefix(terms):
        # As on SQLite: the whole words find the candidates, and the last word's beginning is
        # checked on each one's stored vector rather than through the index, which reads the
        # postings of every word it begins ("exampl:*" of an e-mail: 11 ms at 100,000
        # tickets, the rest of the query 0.3 ms). Read against the vector, it matches as the
        # index would.
        rows = _matching_rows(
            queryset.db,
            f"SELECT id, {PG_VECTOR} @@ to_tsquery('simple', %s) FROM {table} "  # noqa: S608
            f"WHERE {PG_VECTOR} @@ to_tsquery('simple', %s)",
            [_tsquery(terms[-1:]), _tsquery(whole)],
        )
        if rows is not None:
            return _by_ids(queryset, [pk for pk, begins in rows if begins], table)
    # On the listing's own rows: the planner reads the GIN index and sorts the matches, or
    # walks the order index when they are many, each row's vector read, not computed. (A
    # subquery of ids took 45 ms for "Company 5" at 100,000 tickets, this 12.5 ms: its hash
    # join read the whole order index.)
    return queryset.filter(
        RawSQL(  # noqa: S611 - names are constants, the query is a parameter
            f"{table}.{PG_VECTOR} @@ to_tsquery('simple', %s)",
            [_tsquery(terms)],
            output_field=BooleanField(),
        )
    )


def _words_before_a_prefix(terms):
    """The whole words of a query whose last word is looked up as a prefix (they find the
    candidates the prefix is then checked on), or an empty list."""
    whole = [either for either in terms if not either[0][1]]
    return whole if len(whole) < len(terms) else []


def _tsquery(terms):
    return " & ".join(
        _any_of([f"{term}:*" if prefix else term for term, prefix in either], " | ")
        for either in terms
    )


def _search_fts5(queryset, terms, table):
    """SQLite: the matches read from FTS5 once, then listed by id."""
    matches = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    if whole := _words_before_a_prefix(terms):
        # A prefix reads the postings of every word it begins (the "example"* of an
        # e-mail: every ticket). The whole words find the candidates; the last word's
        # beginning is then checked on their text alone, when they are few enough.
        rows = _matching_rows(queryset.db, matches, [_fts_match(whole)])
        if rows is not None:
            ids = list(
                _by_ids(
                    Ticket.objects.using(queryset.db).order_by(), [row[0] for row in rows], table
                )
                .filter(_beginning_q(terms[-1]))
                .values_list("pk", flat=True)
            )
            return _by_ids(queryset, ids, table)
    params = [_fts_match(terms)]
    rows = _matching_rows(queryset.db, matches, params)
    if rows is not None:
        return _by_ids(queryset, [row[0] for row in rows], table)
    return queryset.filter(
        RawSQL(  # noqa: S611 - names are constants, the query is a parameter
            f"{table}.id IN ({matches})", params, output_field=BooleanField()
        )
    )


def _any_of(alternatives, operator):
    return alternatives[0] if len(alternatives) == 1 else f"({operator.join(alternatives)})"


def _fts_match(terms):
    # AND written out: FTS5 takes no implicit AND next to a parenthesised group.
    return " AND ".join(
        _any_of([f'"{term}"*' if prefix else f'"{term}"' for term, prefix in either], " OR ")
        for either in terms
    )


def _beginning_q(either):
    """A text with a word beginning with one of the alternatives (LIKE, no index)."""
    condition = Q()
    for term, _prefix in either:
        condition |= Q(search_text__startswith=term) | Q(search_text__contains=" " + term)
    return condition


def _by_ids(queryset, ids, table):
    """``queryset`` narrowed to these ids as one parameter, not thousands: Django builds and
    the database parses the list once per query of the listing (capped count, page ids)
    instead of a placeholder each (6 of 65 ms for "Company 5", 1,986 matches at 100,000
    tickets on SQLite)."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        condition, param = f"{table}.id = ANY(%s)", list(ids)
    elif connection.features.supports_json_field:
        condition = f"{table}.id IN (SELECT value FROM json_each(%s))"  # noqa: S608
        param = json.dumps(ids)
    else:
        return queryset.filter(pk__in=ids)  # an SQLite built without JSON
    return queryset.filter(
        RawSQL(condition, [param], output_field=BooleanField())  # noqa: S611 - ids a parameter
    )


# Up to this many candidates are read once and listed by id. A listing runs its search three
# times otherwise (the capped count, the page's ids, the page's rows): a prefix that many
# words share ("company"* over every customer's "company0".."company499") costs FTS5 10 ms at
# 100,000 tickets each time.
MATCH_IDS_LIMIT = 5000


def _matching_rows(using, matches, params):
    """The rows of ``matches`` (a query of the index, the id first), or None when there are
    more than ``MATCH_IDS_LIMIT`` (then the listing's queries read the index themselves)."""
    connection = connections[using]
    most_params = connection.features.max_query_params  # None: no limit (PostgreSQL)
    limit = MATCH_IDS_LIMIT if most_params is None else min(MATCH_IDS_LIMIT, most_params - 100)
    with connection.cursor() as cursor:
        cursor.execute(f"{matches} LIMIT %s", [*params, limit + 1])
        rows = cursor.fetchall()
    return rows if len(rows) <= limit else None


# The index itself -------------------------------------------------------------------------


def ensure_index(using="default"):
    """Make the full-text index if it is missing (idempotent; after every migrate)."""
    connection = connections[using]
    table = connection.ops.quote_name(Ticket._meta.db_table)
    # Only constants and quoted table names go into this DDL (hence the noqa: S608).
    with connection.cursor() as cursor:
        if Ticket._meta.db_table not in connection.introspection.table_names(cursor):
            return  # migrated back to before the app's tables
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=%s", [FTS_TABLE]
            )
            if cursor.fetchone():
                return
            cursor.execute(
                f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, "
                f"content={table}, content_rowid='id', tokenize='unicode61')"
            )
            cursor.execute(
                f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608
                f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); "
                "END"
            )
            cursor.execute(
                f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
                "VALUES ('delete', old.id, old.search_text); END"
            )
            cursor.execute(
                f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_text ON {table} BEGIN "  # noqa: S608
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
                "VALUES ('delete', old.id, old.search_text); "
                f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); "
                "END"
            )
            # Rows that were there before the index (an upgrade).
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608
        elif connection.vendor == "postgresql":
            # Adding the column rewrites the table once (about 20 s at 100,000 tickets; the
            # CHANGELOG says so). A generated column pins search_text's type: a migration
            # changing it must drop the column first, and the next migrate makes it again.
            cursor.execute(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {PG_VECTOR} tsvector "
                "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {table} USING gin ({PG_VECTOR})"
            )
            cursor.execute(f"DROP INDEX IF EXISTS {PG_EXPRESSION_INDEX}")
