"""The load test's users (`make load`, scripts/load): members and support staff of one desk,
split across the two app servers of the production profile.

Members log in once, then mostly read (their ticket list, a ticket, a file from it), now and
then file a ticket with one to three files of up to 300 KB; they also load the floor view
(``/floor/``: the same middleware, 25 of their tickets in one query, no template), so the real
pages can be read as multiples of it. Staff log in to the Wagtail admin with a password and a
TOTP code (their authenticator app's key comes from bench/load/prepare.py), then work the
triage list, open tickets (with the screen's presence poll) and reply, sometimes with a file.

Every ticket and reply the servers accepted is written to LOAD_EVENTS (one JSON object a line),
with the SHA-256 of each file sent: bench/load/verify.py looks for each of them afterwards.
A page answered with anything but the expected status is a failure in locust's statistics.

Environment: LOAD_HOSTS (comma-separated base URLs), LOAD_ACCOUNTS (prepare.py's JSON),
LOAD_EVENTS (the log to append to).
"""

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

HOSTS = os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8001,http://127.0.0.1:8002").split(",")
ACCOUNTS = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text(encoding="utf-8"))
EVENTS = open(os.environ["LOAD_EVENTS"], "a", encoding="utf-8")  # noqa: SIM115
SUPPORT = ACCOUNTS["support_path"]  # e.g. "/support/"
MAX_FILE = 300 * 1024

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKET_LINK = re.compile(re.escape(SUPPORT) + r'([0-9]{4}-[0-9]{1,12})/"')
ATTACHMENT_LINK = re.compile(r'href="(/account/attachments/[0-9]+/[^"]+)"')
PRODUCT_SELECT = re.compile(r'<select name="product".*?</select>', re.S)
PRODUCT = re.compile(r'<option value="([0-9]+)"')
ADMIN_TICKET = re.compile(r'/admin/support/tickets/edit/([0-9]+)/[?"]')
SEEN = re.compile(r'name="reply-seen" value="([0-9]*)"')

# Each user takes the next account and the next server, so the load is spread evenly.
_member_numbers = itertools.count()
_staff_numbers = itertools.count()
_host_numbers = itertools.count()


def log_event(**event):
    EVENTS.write(json.dumps(event) + "\n")
    EVENTS.flush()


def totp(key_hex, t=None, step=30, digits=6):
    """RFC 6238, as django-otp's TOTPDevice computes it (SHA-1, 30 s, 6 digits, t0 = 0)."""
    counter = int((time.time() if t is None else t) // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def random_files(max_count):
    """1 to max_count files of 1 KB to 300 KB: text logs and binary dumps, as customers send."""
    files = []
    for n in range(random.randint(1, max_count)):
        size = random.randint(1024, MAX_FILE)
        if random.random() < 0.5:
            line = f"{uuid.uuid4()} ERROR export.c:17 stopped at 50%\n".encode()
            data = (line * (size // len(line) + 1))[:size]
            name = f"log-{n}-журнал.txt"
        else:
            data = os.urandom(size)
            name = f"dump-{n}.bin"
        files.append((name, data))
    return files


def file_records(files):
    return [
        {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in files
    ]


def form_errors(response):
    """The error messages of a form shown again, for the failure's description."""
    found = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text, re.S)
    return " / ".join(re.sub(r"<[^>]+>", " ", text).strip() for text in found)[:300]


def csrf_of(response):
    match = CSRF.search(response.text)
    return match.group(1) if match else None


class DeskUser(HttpUser):
    abstract = True
    host = HOSTS[0]  # each user moves to its own server in on_start

    def on_start(self):
        self.client.base_url = HOSTS[next(_host_numbers) % len(HOSTS)]
        self.server = self.client.base_url.rsplit(":", 1)[-1]

    def expect(self, response, *statuses):
        if response.status_code not in statuses:
            response.failure(
                f"{response.status_code} from {getattr(response.request, 'url', '?')} "
                f"{form_errors(response)}"
            )
            return False
        response.success()
        return True


class Member(DeskUser):
    weight = int(os.environ.get("LOAD_MEMBER_WEIGHT", "8"))
    wait_time = between(1, 4)

    def on_start(self):
        super().on_start()
        members = ACCOUNTS["members"]
        self.username = members[next(_member_numbers) % len(members)]
        self.tickets = []
        self.files = []
        with self.client.get(
            "/account/login/", name="member: login page", catch_response=True
        ) as page:
            self.expect(page, 200)
        with self.client.post(
            "/account/login/",
            data={
                "csrfmiddlewaretoken": csrf_of(page),
                "username": self.username,
                "password": ACCOUNTS["password"],
                "next": SUPPORT,
            },
            headers={"Referer": self.client.base_url + "/account/login/"},
            name="member: log in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.expect(response, 302)
        self.ticket_list()

    @task(6)
    def ticket_list(self):
        with self.client.get(SUPPORT, name="member: ticket list", catch_response=True) as r:
            if self.expect(r, 200):
                self.tickets = TICKET_LINK.findall(r.text) or self.tickets

    @task(2)
    def open_tickets(self):
        with self.client.get(
            SUPPORT + "?show=open", name="member: ticket list, open", catch_response=True
        ) as r:
            self.expect(r, 200)

    @task(6)
    def ticket_page(self):
        if not self.tickets:
            return
        number = random.choice(self.tickets)
        with self.client.get(
            f"{SUPPORT}{number}/", name="member: ticket page", catch_response=True
        ) as r:
            if self.expect(r, 200):
                self.files = ATTACHMENT_LINK.findall(r.text)[-5:] or self.files

    @task(1)
    def download(self):
        if not self.files:
            return
        with self.client.get(
            random.choice(self.files), name="member: attachment download", catch_response=True
        ) as r:
            self.expect(r, 200)

    @task(3)
    def floor(self):
        with self.client.get(
            "/floor/", name="floor: 25 tickets, 1 query", catch_response=True
        ) as r:
            self.expect(r, 200)

    @task(2)
    def file_ticket(self):
        with self.client.get(
            SUPPORT + "new/", name="member: new ticket form", catch_response=True
        ) as form:
            if not self.expect(form, 200):
                return
        select = PRODUCT_SELECT.search(form.text)
        products = PRODUCT.findall(select.group(0)) if select else []
        files = random_files(3)
        token = uuid.uuid4().hex
        data = {
            "csrfmiddlewaretoken": csrf_of(form),
            "subject": f"Load {token[:8]}: export stops at 50%",
            "product": random.choice(products) if products else "other",
            "product_other": "" if products else "Old Tool",
            "product_version": "5.2.1 build 1234",
            "os_version": "Windows 11 23H2",
            "criticality": str(random.randint(1, 4)),
            "description": f"The export stops.\n\n```\nERROR 42 at export.c:17\n```\n\n{token}",
            "steps_to_problem": "Opened report.avs, pressed Export.",
            "steps_to_reproduce": "1. Open report.avs\n2. File > Export > PDF",
            "invoice_number": "",
        }
        with self.client.post(
            SUPPORT + "new/",
            data=data,
            files=[
                ("attachments", (name, content, "application/octet-stream"))
                for name, content in files
            ],
            headers={"Referer": self.client.base_url + SUPPORT + "new/"},
            name="member: file a ticket with files",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if not self.expect(r, 302):
                return
            match = re.search(r"([0-9]{4}-[0-9]{1,12})/$", r.headers.get("Location", ""))
            if not match:
                r.failure(f"filed, but redirected to {r.headers.get('Location')!r}")
                return
        number = match.group(1)
        self.tickets.append(number)
        log_event(
            kind="ticket",
            number=number,
            user=self.username,
            token=token,
            server=self.server,
            files=file_records(files),
        )


class Staff(DeskUser):
    weight = int(os.environ.get("LOAD_STAFF_WEIGHT", "2"))
    wait_time = between(2, 6)

    def on_start(self):
        super().on_start()
        staff = ACCOUNTS["staff"]
        account = staff[next(_staff_numbers) % len(staff)]
        self.username, self.key = account["username"], account["totp_key"]
        self.ticket_ids = []
        with self.client.get(
            "/admin/login/", name="staff: login page", catch_response=True
        ) as page:
            self.expect(page, 200)
        with self.client.post(
            "/admin/login/",
            data={
                "csrfmiddlewaretoken": csrf_of(page),
                "username": self.username,
                "password": ACCOUNTS["password"],
                "next": "/admin/",
            },
            headers={"Referer": self.client.base_url + "/admin/login/"},
            name="staff: log in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.expect(response, 302)
        verify_url = "/admin/two-factor/verify/?next=/admin/support/tickets/"
        with self.client.get(
            verify_url, name="staff: second factor page", catch_response=True
        ) as page:
            self.expect(page, 200)
        with self.client.post(
            verify_url,
            data={"csrfmiddlewaretoken": csrf_of(page), "code": totp(self.key)},
            headers={"Referer": self.client.base_url + verify_url},
            name="staff: second factor",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.expect(response, 302)
        self.triage()

    @task(5)
    def triage(self):
        with self.client.get(
            "/admin/support/tickets/", name="staff: triage list", catch_response=True
        ) as r:
            if self.expect(r, 200):
                self.ticket_ids = ADMIN_TICKET.findall(r.text) or self.ticket_ids

    @task(1)
    def triage_filtered(self):
        query = random.choice(["?status=open", "?status=new", "?q=export", "?p=3"])
        with self.client.get(
            "/admin/support/tickets/" + query,
            name="staff: triage list, filtered or searched",
            catch_response=True,
        ) as r:
            self.expect(r, 200)

    @task(4)
    def ticket_screen(self):
        if not self.ticket_ids:
            return
        pk = random.choice(self.ticket_ids)
        with self.client.get(
            f"/admin/support/tickets/edit/{pk}/", name="staff: ticket screen", catch_response=True
        ) as r:
            self.expect(r, 200)
        with self.client.get(
            f"/admin/support/tickets/presence/{pk}/?seen=0",
            name="staff: presence poll",
            catch_response=True,
        ) as r:
            self.expect(r, 200)

    @task(3)
    def reply(self):
        if not self.ticket_ids:
            return
        pk = random.choice(self.ticket_ids)
        url = f"/admin/support/tickets/edit/{pk}/"
        with self.client.get(url, name="staff: ticket screen", catch_response=True) as screen:
            if not self.expect(screen, 200):
                return
        seen = SEEN.search(screen.text)
        token = uuid.uuid4().hex
        files = random_files(1) if random.random() < 0.25 else []
        with self.client.post(
            url,
            data={
                "csrfmiddlewaretoken": csrf_of(screen),
                "action": "reply",
                "reply-kind": "reply",
                "reply-body": f"Thank you, we are looking into it.\n\nref {token}",
                "reply-seen": seen.group(1) if seen else "",
            },
            files=[("reply-files", (n, c, "application/octet-stream")) for n, c in files] or None,
            headers={"Referer": self.client.base_url + url},
            name="staff: reply",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            # 409: a customer's message came in between the screen and the reply; the desk
            # holds the reply back so the agent reads it first (not an error, nothing stored).
            if not self.expect(r, 302, 409):
                return
            held = r.status_code == 409
        log_event(
            kind="reply",
            ticket=int(pk),
            user=self.username,
            token=token,
            server=self.server,
            held=held,
            files=file_records(files),
        )


@events.quitting.add_listener
def close_log(environment, **kwargs):
    EVENTS.close()
