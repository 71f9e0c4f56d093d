"""What `make demo` shows of company sharing and ratings: two members of the demo client
company ("maria", its administrator, and "sergey") who see each other's tickets in the
"Company tickets" tab, and ratings of past tickets so that Reports → Support satisfaction
has data. Idempotent: run it as often as you like.
"""

import random
from datetime import timedelta

from django.utils import timezone

from avsoft_support.models import (
    ClientStatus,
    MemberProfile,
    Message,
    Product,
    Rating,
    RatingScore,
    RatingSource,
    Ticket,
    TicketStatus,
)

# username: (subject, status) of their own ticket
COMPANY_TICKETS = {
    "maria": ("Как перенести лицензию на новый сервер?", TicketStatus.RESOLVED),
    "sergey": ("Экспорт в PDF обрезает таблицы", TicketStatus.IN_PROGRESS),
}
# subject: (description, steps to reproduce)
TEXTS = {
    "Как перенести лицензию на новый сервер?": (
        "Мы переезжаем на новый сервер. Как перенести на него лицензию, чтобы старый сервер "
        "работал до конца переезда?",
        "Не требуется: это вопрос.",
    ),
    "Экспорт в PDF обрезает таблицы": (
        "При экспорте документа в PDF широкие таблицы обрезаются по правому краю страницы.",
        "1. Открыть документ с таблицей шире страницы.\n2. Выбрать «Файл → Экспорт в PDF».",
    ),
}
RATING_COMMENTS = ["Спасибо, быстро помогли.", "", "", "Пришлось долго ждать ответа.", ""]


def seed_company(account, members, support_page):
    """Members ``members`` (users) join ``account``, which shares its tickets; the first is its
    administrator. Each gets one ticket."""
    profiles = []
    for user in members:
        profile = MemberProfile.objects.get(user=user)
        profile.client_account = account
        profile.client_status = ClientStatus.CURRENT
        profile.verified_at = profile.verified_at or timezone.now()
        profile.save()
        profiles.append(profile)
    account.share_tickets = True
    account.administrator = profiles[0]
    account.save(update_fields=["share_tickets", "administrator"])
    product = Product.objects.filter(name="AVSoft Desktop").first()
    now = timezone.now()
    for user in members:
        subject, status = COMPANY_TICKETS[user.get_username()]
        if Ticket.objects.filter(author=user, subject=subject).exists():
            continue
        created = now - timedelta(days=2)
        ticket = Ticket.objects.create(
            subject=subject,
            author=user,
            product=product,
            product_version="6.0",
            os_version="Windows 11",
            status=status,
            client_status=ClientStatus.CURRENT,
            priority=ClientStatus.priority_of(ClientStatus.CURRENT),
            support_page=support_page,
            created_at=created,
            last_activity_at=created,
            steps_to_reproduce=TEXTS[subject][1],
        )
        Message.objects.create(
            ticket=ticket, author=user, body=TEXTS[subject][0], created_at=created
        )


def seed_ratings(now=None, share=0.6):
    """Ratings of past resolved and closed tickets that had an assignee, when there are none
    yet: about two in three good, spread over the months the history covers."""
    if Rating.objects.exists():
        return 0
    rng = random.Random(2027)  # noqa: S311 (demo data, the same every time)
    now = now or timezone.now()
    done = Ticket.objects.filter(
        status__in=TicketStatus.closed_values(), assignee__isnull=False, author__isnull=True
    ).order_by("pk")
    ratings = []
    for ticket in done:
        if rng.random() > share:
            continue
        good = rng.random() < (0.8 if ticket.client_status == ClientStatus.CURRENT else 0.6)
        ratings.append(
            Rating(
                ticket=ticket,
                score=RatingScore.GOOD if good else RatingScore.BAD,
                comment=rng.choice(RATING_COMMENTS),
                agent_id=ticket.assignee_id,
                source=rng.choice([RatingSource.EMAIL, RatingSource.PAGE]),
            )
        )
    ratings = Rating.objects.bulk_create(ratings)
    # When each came in: after the ticket was resolved (auto_now_add set "now" on insert).
    closed = dict(done.values_list("pk", "last_activity_at"))
    for rating in ratings:
        rating.created_at = min(now, closed[rating.ticket_id] + timedelta(hours=rng.uniform(1, 48)))
    Rating.objects.bulk_update(ratings, ["created_at"])
    return len(ratings)
