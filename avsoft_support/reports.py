"""The numbers behind the admin's Reports: response times, the backlog by age, the volume.

Every function takes a queryset of tickets (already filtered by the report's date range and
site) and returns plain rows (dicts), in a number of queries that does not grow with the
number of tickets:

- Counts and shares are SQL aggregates (``COUNT ... FILTER``) grouped in the database.
- Medians and 90th percentiles: on PostgreSQL ``percentile_cont(...) WITHIN GROUP`` in the
  same grouped query (one query). Other databases (SQLite) have no percentile aggregate, so
  one ``values_list`` fetches only the group key and the three timestamps per ticket of the
  filtered range, and the percentiles are computed in Python with the same linear
  interpolation as ``percentile_cont`` (one query, but rows proportional to the range).
"""

from datetime import timedelta

from django.db import connection, models
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncWeek
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ClientStatus, TicketStatus

# How a response-time report groups its tickets: the key's SQL expression(s) per grouping.
GROUP_BY_CHOICES = [
    ("client_status", gettext_lazy("Client status")),
    ("product", gettext_lazy("Product")),
    ("assignee", gettext_lazy("Assignee")),
    ("week", gettext_lazy("Week")),
]

# Open tickets by age, in days: (label, lower bound, upper bound); None is open-ended.
AGE_BUCKETS = [
    ("under_1", gettext_lazy("< 1 day"), None, 1),
    ("days_1_3", gettext_lazy("1–3 days"), 1, 3),
    ("days_3_7", gettext_lazy("3–7 days"), 3, 7),
    ("days_7_30", gettext_lazy("7–30 days"), 7, 30),
    ("over_30", gettext_lazy("> 30 days"), 30, None),
]


def percentile(values, fraction):
    """``percentile_cont``: linear interpolation between the closest ranks of sorted values."""
    if not values:
        return None
    values = sorted(values)
    position = fraction * (len(values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


class PercentileCont(models.Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_filter = False

    def __init__(self, expression, fraction, **extra):
        super().__init__(
            expression, fraction=float(fraction), output_field=models.DurationField(), **extra
        )


def _supports_percentiles():
    return connection.vendor == "postgresql"


def _group_fields(group_by):
    """The values() the grouping is keyed on, as annotations where one is needed."""
    if group_by == "product":
        return {"product_label": Coalesce(F("product__name"), F("product_other"))}, [
            "product_label"
        ]
    if group_by == "assignee":
        return {}, [
            "assignee_id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        ]
    if group_by == "week":
        return {"week": TruncWeek("created_at")}, ["week"]
    return {}, ["client_status"]


def _group_label(group_by, key):
    if group_by == "product":
        return key["product_label"] or _("No product")
    if group_by == "assignee":
        if key["assignee_id"] is None:
            return _("Unassigned")
        name = f"{key['assignee__first_name']} {key['assignee__last_name']}".strip()
        return name or key["assignee__username"]
    if group_by == "week":
        week = key["week"]
        if week is None:
            return ""
        if hasattr(week, "date"):
            week = timezone.localtime(week).date() if timezone.is_aware(week) else week.date()
        return week.isoformat()
    return str(ClientStatus(key["client_status"]).label) if key["client_status"] else ""


def _sort_key(group_by, key):
    if group_by == "client_status":
        status = key["client_status"]
        return ClientStatus.priority_of(status) if status in ClientStatus.values else 9
    if group_by == "week":
        return str(key["week"])
    return _group_label(group_by, key).lower()


def _hours(value):
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return round(value / 3600, 1)


# The first-response target: kept in first_response_due_at since sla_due_at moves on to the
# next response (tickets.py); tickets filed before that field existed have it in sla_due_at.
def _first_due():
    return Coalesce("first_response_due_at", "sla_due_at")


def _sla_counts(now):
    """SLA compliance: answered by the target, out of those decided (answered, or past due)."""
    answered = Q(first_response_at__isnull=False)
    has_target = Q(first_response_due_at__isnull=False) | Q(sla_due_at__isnull=False)
    decided = has_target & (answered | Q(LessThan(_first_due(), now)))
    met = has_target & Q(LessThanOrEqual(F("first_response_at"), _first_due()))
    return {"sla_decided": Count("pk", filter=decided), "sla_met": Count("pk", filter=met)}


def response_times(tickets, group_by="client_status", now=None):
    """One row per group: tickets, first response and resolution (median, p90, in hours) and
    the share of tickets answered within their target. One query on any database."""
    now = now or timezone.now()
    annotations, keys = _group_fields(group_by)
    first_response = F("first_response_at") - F("created_at")
    resolution = F("closed_at") - F("created_at")
    grouped = tickets.order_by().annotate(**annotations).values(*keys)
    aggregates = {"tickets": Count("pk"), **_sla_counts(now)}
    if _supports_percentiles():
        durations = {
            "first_median": PercentileCont(first_response, 0.5),
            "first_p90": PercentileCont(first_response, 0.9),
            "resolution_median": PercentileCont(resolution, 0.5),
            "resolution_p90": PercentileCont(resolution, 0.9),
        }
        groups = [(row, row) for row in grouped.annotate(**aggregates, **durations)]
    else:
        groups = _python_percentiles(grouped, keys, now)
    rows = []
    for key, values in sorted(groups, key=lambda pair: _sort_key(group_by, pair[0])):
        decided = values["sla_decided"]
        rows.append(
            {
                "group": _group_label(group_by, key),
                "tickets": values["tickets"],
                "first_response_median": _hours(values["first_median"]),
                "first_response_p90": _hours(values["first_p90"]),
                "resolution_median": _hours(values["resolution_median"]),
                "resolution_p90": _hours(values["resolution_p90"]),
                "sla_decided": decided,
                "sla_met": values["sla_met"],
                "sla_compliance": round(100 * values["sla_met"] / decided, 1) if decided else None,
            }
        )
    return rows


def _python_percentiles(grouped, keys, now):
    """SQLite: one values_list of the keys and timestamps; percentiles and counts in Python."""
    buckets = {}
    fields = ("created_at", "first_response_at", "closed_at", "first_response_due_at", "sla_due_at")
    for row in grouped.values_list(*keys, *fields):
        key = tuple(row[: len(keys)])
        created, first, closed, first_due, due = row[len(keys) :]
        due = first_due or due  # as _first_due()
        bucket = buckets.setdefault(
            key, {"tickets": 0, "sla_decided": 0, "sla_met": 0, "first": [], "resolution": []}
        )
        bucket["tickets"] += 1
        if first is not None:
            bucket["first"].append((first - created).total_seconds())
        if closed is not None:
            bucket["resolution"].append((closed - created).total_seconds())
        if due is not None and (first is not None or due < now):
            bucket["sla_decided"] += 1
            bucket["sla_met"] += int(first is not None and first <= due)
    groups = []
    for key, bucket in buckets.items():
        values = {
            "tickets": bucket["tickets"],
            "sla_decided": bucket["sla_decided"],
            "sla_met": bucket["sla_met"],
            "first_median": percentile(bucket["first"], 0.5),
            "first_p90": percentile(bucket["first"], 0.9),
            "resolution_median": percentile(bucket["resolution"], 0.5),
            "resolution_p90": percentile(bucket["resolution"], 0.9),
        }
        groups.append((dict(zip(keys, key, strict=True)), values))
    return groups


def backlog_by_age(tickets, now=None):
    """Open tickets per client status, counted in age buckets: one grouped query."""
    now = now or timezone.now()
    counts = {}
    for name, _label, low, high in AGE_BUCKETS:
        condition = Q()
        if low is not None:
            condition &= Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        counts[name] = Count("pk", filter=condition)
    grouped = (
        tickets.filter(status__in=TicketStatus.open_values())
        .order_by()
        .values("client_status")
        .annotate(total=Count("pk"), **counts)
    )
    rows = []
    for row in sorted(grouped, key=lambda row: _sort_key("client_status", row)):
        rows.append(
            {
                "group": _group_label("client_status", row),
                "total": row["total"],
                **{name: row[name] for name, *_rest in AGE_BUCKETS},
            }
        )
    return rows


def volume(tickets):
    """Tickets per product and version, most first: one grouped query."""
    grouped = (
        tickets.order_by()
        .annotate(product_label=Coalesce(F("product__name"), F("product_other")))
        .values("product_label", "product_version")
        .annotate(tickets=Count("pk"))
        .order_by("-tickets", "product_label", "product_version")
    )
    return [
        {
            "product": row["product_label"] or _("No product"),
            "version": row["product_version"],
            "tickets": row["tickets"],
        }
        for row in grouped
    ]


# Satisfaction (ratings.py): the share of good ratings, by agent, product, client status or
# the week the rating came in. The agent is the assignee when the rating was given.
SATISFACTION_GROUP_BY_CHOICES = [
    ("agent", gettext_lazy("Agent")),
    ("product", gettext_lazy("Product")),
    ("client_status", gettext_lazy("Client status")),
    ("week", gettext_lazy("Week")),
]


def _satisfaction_group(group_by):
    if group_by == "agent":
        return {}, [
            "rating__agent_id",
            "rating__agent__username",
            "rating__agent__first_name",
            "rating__agent__last_name",
        ]
    if group_by == "week":
        return {"week": TruncWeek("rating__created_at")}, ["week"]
    return _group_fields(group_by)


def _satisfaction_label(group_by, key):
    if group_by == "agent":
        if key["rating__agent_id"] is None:
            return _("Unassigned")
        name = f"{key['rating__agent__first_name']} {key['rating__agent__last_name']}".strip()
        return name or key["rating__agent__username"]
    return _group_label(group_by, key)


def satisfaction(tickets, group_by="agent"):
    """One row per group of rated tickets: ratings, good, bad and the share of good ones (%).
    One grouped query."""
    annotations, keys = _satisfaction_group(group_by)
    grouped = (
        tickets.filter(rating__isnull=False)
        .order_by()
        .annotate(**annotations)
        .values(*keys)
        .annotate(rated=Count("pk"), good=Count("pk", filter=Q(rating__score="good")))
    )
    rows = []
    for row in grouped:
        label = _satisfaction_label(group_by, row)
        rows.append(
            {
                "group": label,
                "rated": row["rated"],
                "good": row["good"],
                "bad": row["rated"] - row["good"],
                "satisfaction": round(100 * row["good"] / row["rated"], 1),
            }
        )
    if group_by == "week":
        rows.sort(key=lambda row: row["group"])
    elif group_by == "client_status":
        order = {str(status.label): status.priority_of(status) for status in ClientStatus}
        rows.sort(key=lambda row: order.get(row["group"], 9))
    else:
        rows.sort(key=lambda row: str(row["group"]).lower())
    return rows
