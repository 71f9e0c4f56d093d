"""Creates the demo content, idempotently: run it as often as you like, nothing is duplicated.

It belongs to the demo project, not to the app: it publishes passwords, prints TOTP secrets,
makes a superuser and rewrites the default Site, which no real site's database should see.
"""

import base64
import random
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import GroupPagePermission, Locale, Page, Site

from avsoft_support.models import (
    ClientAccount,
    ClientInvoiceNumber,
    ClientStatus,
    MemberProfile,
    Message,
    Product,
    SupportPage,
    SupportSettings,
    Ticket,
    TicketStatus,
)
from avsoft_support.models.tickets import format_ticket_number
from avsoft_support.production_calendar import seed_year
from home.models import HelpPage, HomePage
from home.sharing_showcase import seed_company, seed_ratings
from home.sla_showcase import mark_history_escalated, seed_sla_showcase

# The demo's groups in Russian. The app and its tests know the group that migration 0002
# makes as "Support staff"; a Russian site names it in its own language, as the demo does.
GROUP_NAMES_RU = {
    "Support staff": "Служба поддержки",
    "Editors": "Редакторы",
    "Moderators": "Модераторы",
}

DEMO_INVOICE = "INV-2026-0042"
PRODUCTS = ["AVSoft Converter", "AVSoft Server", "AVSoft Desktop"]
ACCOUNTS = {
    # username: (password, full name, role)
    "admin": ("demo-admin-2026", "Администратор демо", "superuser"),
    "support": ("demo-support-2026", "Ольга Смирнова", "staff"),
    "editor": ("demo-editor-2026", "Павел Редакторов", "editor"),
    "member": ("demo-member-2026", "Иван Петров", "member"),
    # Members of the demo client company, which shares its tickets (maria administers it).
    "maria": ("demo-maria-2026", "Мария Кузнецова", "member"),
    "sergey": ("demo-sergey-2026", "Сергей Волков", "member"),
}

INTRO_RU = """
<h2>Регламент обращения в службу технической поддержки</h2>
<p>Чтобы максимально быстро и эффективно обработать все запросы, поступающие в службу
технической поддержки от клиентов компании, на сайте работает автоматизированная служба
обработки заявок.</p>
<h3>1. Регистрация на сайте</h3>
<p>Откройте страницу <a href="/account/register/">регистрации</a> и заполните предложенную форму.
На сайте будет создан ваш персональный раздел, доступ к которому вы получите с помощью указанных
при регистрации логина и пароля.</p>
<p>Если вы уже зарегистрированы, авторизуйтесь на <a href="/account/login/">странице входа</a>
либо в окне входа в левой верхней части любой страницы сайта.</p>
<p>Если вы не можете вспомнить пароль, перейдите на
<a href="/account/password-reset/">страницу восстановления пароля</a>.</p>
<h3>2. Размещение запроса в службу технической поддержки</h3>
<p>Ниже, на этой странице, приведён список ваших запросов с указанием их текущего статуса.
Для ввода нового запроса нажмите на кнопку «Создать новое обращение».</p>
"""

RULES_RU = """
<p>Укажите тему обращения, а также опишите суть проблемы. В случае необходимости вы можете
прикрепить к сообщению файлы любого формата (размером до 300 КБ каждый).</p>
<p>В случае первого обращения укажите, пожалуйста, номер вашего счёта, чтобы мы могли
идентифицировать вас как клиента. Система позволяет вводить запросы как текущим, так и
потенциальным клиентам компании. Все текущие клиенты имеют более высокий приоритет в
обслуживании запросов. Поэтому очень важно при первом запросе указать номер счёта или заказа.</p>
<p>В полях формы укажите, пожалуйста, следующую информацию:</p>
<p>а) название продукта и его точную версию;<br>
б) версию операционной системы;<br>
в) детальное описание проблемы, включая по возможности шаги, приведшие к её возникновению;<br>
г) шаги, необходимые для повторения данной проблемы в условиях лаборатории специалистами
технической поддержки.</p>
"""

THANKS_RU = "<p>Спасибо! Обращение принято. Мы ответим вам по электронной почте и здесь, на странице обращения.</p>"

PRIVACY_RU = """
<p>Эта политика объясняет, какие персональные данные обрабатывает служба технической поддержки
компании AVSoft на этом сайте, зачем и как долго. Регистрируясь, вы даёте согласие на их
обработку в соответствии с этой политикой.</p>
<h3>Какие данные мы обрабатываем</h3>
<p>Логин, адрес электронной почты, фамилию, имя и отчество, название компании и телефон, которые
вы указали при регистрации или в персональном разделе; номер счёта или заказа; ваши обращения в
службу поддержки, переписку по ним и прикреплённые файлы.</p>
<h3>Зачем</h3>
<p>Только для того, чтобы отвечать на ваши обращения: связываться с вами, подтверждать, что вы
наш клиент, и обслуживать обращения текущих клиентов в первую очередь. Мы не передаём ваши данные
третьим лицам и не используем их для рассылок.</p>
<h3>Как долго и что вы можете сделать</h3>
<p>Данные хранятся, пока существует ваша учётная запись. В персональном разделе вы можете в любой
момент скачать копию своих данных или удалить учётную запись: тогда удаляются ваш профиль и
прикреплённые вами файлы, а обращения остаются у службы поддержки без связи с вами.
Прикреплённые файлы закрытых обращений могут удаляться по истечении срока хранения.</p>
"""

HELP_RU = {
    "help_subject": "Коротко, в одной строке: что не работает.",
    "help_product": "Если продукта нет в списке, выберите «Другой» и укажите название.",
    "help_product_version": "Точная версия, например 4.2.1 (сборка 1187): она есть в окне «О программе».",
    "help_os_version": "Например: Windows 11 23H2, Astra Linux 1.7, macOS 14.4.",
    "help_criticality": "Насколько проблема мешает вашей работе.",
    "help_description": "Что вы делали, что ожидали увидеть и что произошло; тексты ошибок и журналы.",
    "help_steps_to_problem": "По возможности: шаги, после которых возникла проблема.",
    "help_steps_to_reproduce": "Как повторить проблему в нашей лаборатории, шаг за шагом.",
    "help_invoice_number": "Номер счёта или заказа из наших документов: по нему мы подтвердим, что вы наш клиент.",
    "help_attachments": "Снимки экрана, журналы, файлы настроек.",
}

# Help articles (slug: title, summary, body): suggested on the new-ticket form.
HELP_ARTICLES_RU = {
    "export-pdf": (
        "Экспорт в PDF",
        "Как сохранить отчёт или документ в формате PDF и что делать, если экспорт прерывается.",
        """<p>Чтобы сохранить отчёт в PDF, откройте его и выберите «Файл → Экспорт → PDF».</p>
<p>Если экспорт в PDF останавливается на середине, проверьте свободное место на диске и
отключите в настройках экспорта встраивание шрифтов. Большие отчёты экспортируйте по
разделам.</p>""",
    ),
    "licence-key": (
        "Ключ лицензии и продление",
        "Где найти ключ лицензии и как продлить лицензию.",
        """<p>Ключ лицензии приходит письмом на адрес, указанный при покупке. Если письмо не
пришло, проверьте папку «Спам». Продлить лицензию можно в разделе «Справка → Лицензия».</p>""",
    ),
    "install-astra": (
        "Установка на Astra Linux",
        "Установка продуктов AVSoft на Astra Linux 1.7.",
        """<p>Установите пакет командой <code>sudo apt install ./avsoft-*.deb</code>. В режиме
замкнутой программной среды пакет должен быть подписан: используйте пакет из раздела
«Загрузки» для Astra Linux.</p>""",
    ),
    "no-start-after-update": (
        "Программа не запускается после обновления",
        "Что делать, если после обновления программа не открывается.",
        """<p>Перезагрузите компьютер и запустите программу от имени администратора. Если
ошибка осталась, удалите папку настроек пользователя и запустите программу снова.</p>""",
    ),
    "large-files": (
        "Медленно открываются большие файлы",
        "Как ускорить работу с большими файлами.",
        """<p>Включите в настройках «Открывать файлы частями» и увеличьте размер кэша.
Файлы больше 2 ГБ лучше хранить на локальном диске, а не в сетевой папке.</p>""",
    ),
}


class Command(BaseCommand):
    help = "Create the support demo: pages, products, a client account and demo accounts."

    @transaction.atomic
    def handle(self, *args, **options):
        home = self.home_page()
        support = self.support_page(home)
        for position, name in enumerate(PRODUCTS):
            Product.objects.update_or_create(name=name, defaults={"sort_order": position})
        account = self.client_account()
        site = Site.objects.get(is_default_site=True)
        support_settings = SupportSettings.for_site(site)
        if not support_settings.notification_emails:
            support_settings.notification_emails = "support@demo.example"
        if not support_settings.reply_address:
            # Replies by e-mail: `make demo` polls demo/var/inbox/ (a Maildir) for them.
            support_settings.reply_address = "support@demo.example"
        if support_settings.privacy_policy_page_id is None:
            # Registration then asks for consent to the processing of personal data.
            support_settings.privacy_policy_page = self.privacy_page(home)
        # First-response targets count working time: 09:00-18:00 in Moscow, on the Russian
        # production calendar of this year and the next (Support, Calendar).
        support_settings.time_zone = "Europe/Moscow"
        support_settings.working_day_start, support_settings.working_day_end = time(9), time(18)
        support_settings.save()
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            seed_year(year, settings.LANGUAGE_CODE)
        secrets = {name: self.account(name, *spec) for name, spec in ACCOUNTS.items()}
        # Wagtail's own group, unused by the demo, is listed next to ours in the admin.
        self.group("Moderators")
        self.editors_publish(support)
        seed_ticket_history(support)
        seed_sla_showcase(support, get_user_model().objects.get(username="member"))
        colleagues = [get_user_model().objects.get(username=name) for name in ("maria", "sergey")]
        seed_company(account, colleagues, support)
        seed_ratings()
        self.help_articles(home)
        self.report(support, account, secrets)

    def home_page(self):
        Locale.objects.get_or_create(language_code=Locale.get_default().language_code)
        root = Page.get_first_root_node()
        home = HomePage.objects.first()
        if home is None:
            # Wagtail's initial migration adds a welcome page: the demo's home page replaces it.
            for child in root.get_children():
                if child.slug == "home":
                    child.slug = "home-old"
                    child.save_revision().publish()
            home = HomePage(
                title="AVSoft",
                slug="home",
                body='<p>Демонстрационный сайт компании. <a href="/support/">Служба поддержки</a>.</p>',
            )
            home = root.add_child(instance=home)
            for child in root.get_children().exclude(pk=home.pk):
                child.delete()
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={
                "hostname": "127.0.0.1",
                "port": 8000,
                "root_page": home,
                "site_name": "AVSoft (демонстрационный сайт)",
            },
        )
        return home

    def support_page(self, home):
        page = SupportPage.objects.child_of(home).filter(slug="support").first()
        if page is None:
            page = home.add_child(
                instance=SupportPage(
                    title="Техническая поддержка",
                    slug="support",
                    intro=INTRO_RU,
                    filing_rules=RULES_RU,
                    thank_you_text=THANKS_RU,
                    **HELP_RU,
                )
            )
            page.save_revision().publish()
        return page

    def privacy_page(self, home):
        page = HomePage.objects.child_of(home).filter(slug="privacy").first()
        if page is None:
            page = home.add_child(
                instance=HomePage(
                    title="Политика обработки персональных данных", slug="privacy", body=PRIVACY_RU
                )
            )
            page.save_revision().publish()
        return page

    def help_articles(self, home):
        """The help section: its articles are suggested while a member types a ticket (type
        "экспорт PDF" as the subject). Publishing indexes them for Wagtail search."""
        section = HomePage.objects.child_of(home).filter(slug="help").first()
        if section is None:
            section = home.add_child(
                instance=HomePage(
                    title="Справка", slug="help", body="<p>Ответы на частые вопросы.</p>"
                )
            )
            section.save_revision().publish()
        for slug, (title, summary, body) in HELP_ARTICLES_RU.items():
            if not HelpPage.objects.child_of(section).filter(slug=slug).exists():
                article = section.add_child(
                    instance=HelpPage(title=title, slug=slug, search_description=summary, body=body)
                )
                article.save_revision().publish()

    def client_account(self):
        account, _ = ClientAccount.objects.get_or_create(
            company="ООО «Ромашка»",
            defaults={"contact_emails": "it@romashka.example", "active": True},
        )
        ClientInvoiceNumber.objects.get_or_create(account=account, number=DEMO_INVOICE)
        return account

    def group(self, name):
        """The group that migrations made as ``name``, named in the demo's language: staff
        read the group's name in the admin and in the history of a ticket."""
        russian = GROUP_NAMES_RU[name]
        wanted = russian if settings.LANGUAGE_CODE.startswith("ru") else name
        group = Group.objects.filter(name__in=[name, russian]).order_by("pk").first()
        if group is not None and group.name != wanted:
            group.name = wanted
            group.save(update_fields=["name"])
        return group

    def editors_publish(self, support):
        """The editors may publish the support page (its help texts, intro, rules) themselves:
        Wagtail's Editors group may only submit changes to the moderation workflow."""
        group = self.group("Editors")
        if group is None:
            return
        for codename in ("add_page", "change_page", "publish_page"):
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=support,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )

    def account(self, username, password, full_name, role):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username, email=f"{username}@demo.example", password=password
            )
        first, _, last = full_name.partition(" ")
        user.first_name, user.last_name = first, last
        user.is_superuser = user.is_staff = role == "superuser"
        user.save()
        group_key = {"staff": "Support staff", "editor": "Editors"}.get(role)
        if group_key:
            group = self.group(group_key)
            group_name = group.name if group else group_key
            if group is None:
                self.stderr.write(f"Group '{group_name}' is missing; {username} has no group.")
            else:
                user.groups.add(group)
        if role == "editor":
            # Editors keep the product list; they get no ticket or client permissions.
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="avsoft_support", content_type__model="product"
                )
            )
        if role == "member":
            MemberProfile.objects.get_or_create(
                user=user,
                defaults={"full_name": full_name, "email_confirmed_at": timezone.now()},
            )
            return None
        if role == "editor":
            # The admin asks a second factor only of those who see tickets or client data
            # (and superusers): the demo's editor shows the password alone is enough for them
            # (and loses the device an earlier demo gave them).
            TOTPDevice.objects.filter(user=user).delete()
            return None
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
        return base64.b32encode(device.bin_key).decode()

    def report(self, support, account, secrets):
        base = "http://127.0.0.1:8000"
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS(f"Demo ready. Site: {base}/  Support page: {base}{support.url}"))
        w(f"Admin: {base}/admin/   E-mail goes to files in demo/var/mail/")
        w(f"Language: {settings.LANGUAGE_CODE} (DEMO_LANGUAGE=en make demo for English)")
        w("")
        w("Demo accounts (username / password):")
        for username, (password, full_name, role) in ACCOUNTS.items():
            line = f"  {role:<10} {username:<8} / {password:<18} {full_name}"
            if secrets.get(username):
                line += f"\n             TOTP secret (base32): {secrets[username]}"
            w(line)
        w("")
        w(f"Client account: {account.company}, invoice number {DEMO_INVOICE}")
        w("  (give it on a first ticket to be recognised as a current client)")
        w("  maria and sergey are its members and see each other's tickets (Company tickets);")
        w("  maria administers the account (profile → Company tickets)")
        w("")


# Reports (Reports menu) need history: a few hundred past tickets, seeded once.
HISTORY_MIN_TICKETS = 50
HISTORY_TICKETS = 300
HISTORY_DAYS = 180
VERSIONS = {
    "AVSoft Converter": ["3.1", "3.2", "4.0"],
    "AVSoft Server": ["7.4", "8.0"],
    "AVSoft Desktop": ["5.2.1", "5.3", "6.0"],
}
HISTORY_SUBJECTS = [
    "Не запускается после обновления",
    "Ошибка при экспорте отчёта",
    "Вопрос по лицензии",
    "Медленно открываются большие файлы",
    "Не приходит письмо с ключом",
]


def seed_ticket_history(support_page, now=None):
    """Past tickets for the reports, when the site has fewer than HISTORY_MIN_TICKETS: varied
    client statuses, products, versions and assignees, most answered and many closed. They
    belong to no member (imported history), so no customer sees them in their section. Two
    bulk inserts and one bulk update, well under a second."""
    if Ticket.objects.count() >= HISTORY_MIN_TICKETS:
        return 0
    rng = random.Random(2026)  # noqa: S311 (demo data, the same every time)
    now = now or timezone.now()
    products = list(Product.objects.filter(name__in=VERSIONS))
    assignees = list(get_user_model().objects.filter(username__in=["support", "admin"]))
    statuses = (
        [ClientStatus.CURRENT] * 5 + [ClientStatus.CLAIMED] * 2 + [ClientStatus.POTENTIAL] * 3
    )
    tickets = []
    for index in range(HISTORY_TICKETS):
        created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS), hours=rng.uniform(0, 24))
        client_status = rng.choice(statuses)
        product = rng.choice(products)
        age_hours = (now - created).total_seconds() / 3600
        first_hours = rng.choice([0.5, 1, 2, 3, 5, 8, 20, 30]) * rng.uniform(0.5, 1.5)
        answered = first_hours < age_hours and rng.random() < 0.92
        closed_hours = first_hours + rng.uniform(4, 24 * 20)
        # Old tickets are almost all closed by now; the backlog is mostly recent.
        closed = (
            answered
            and closed_hours < age_hours
            and rng.random() < (0.97 if age_hours > 720 else 0.6)
        )
        if closed:
            status = rng.choice([TicketStatus.RESOLVED, TicketStatus.CLOSED])
        elif answered:
            status = rng.choice([TicketStatus.IN_PROGRESS, TicketStatus.WAITING])
        else:
            status = TicketStatus.NEW
        last = created + timedelta(hours=closed_hours if closed else first_hours if answered else 0)
        tickets.append(
            Ticket(
                subject=f"{HISTORY_SUBJECTS[index % len(HISTORY_SUBJECTS)]} (архив)",
                product=product,
                product_version=rng.choice(VERSIONS[product.name]),
                os_version=rng.choice(["Windows 10", "Windows 11", "Astra Linux 1.7"]),
                criticality=rng.choice([1, 2, 3, 3, 3, 4]),
                status=status,
                assignee=rng.choice(assignees) if answered or rng.random() < 0.5 else None,
                client_status=client_status,
                priority=ClientStatus.priority_of(client_status),
                support_page=support_page,
                created_at=created,
                last_activity_at=last,
                first_response_at=created + timedelta(hours=first_hours) if answered else None,
                last_staff_reply_at=created + timedelta(hours=first_hours) if answered else None,
                sla_due_at=created + timedelta(hours=rng.choice([4, 8, 8, 24])),
                closed_at=created + timedelta(hours=closed_hours) if closed else None,
            )
        )
    tickets = Ticket.objects.bulk_create(tickets)
    for ticket in tickets:
        ticket.number = format_ticket_number(ticket.pk, ticket.created_at)
    Ticket.objects.bulk_update(tickets, ["number"])
    mark_history_escalated(tickets)
    Message.objects.bulk_create(
        Message(ticket=ticket, body="Описание проблемы (архив).", created_at=ticket.created_at)
        for ticket in tickets
    )
    return len(tickets)
