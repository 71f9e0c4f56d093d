"""After the load test: was anything lost, and what did locust measure?

Run by scripts/load inside scripts/demo-prod, once locust has stopped:
``python bench/load/verify.py ACCOUNTS_JSON EVENTS_JSONL LOCUST_CSV_PREFIX OUT_MD``.

1. Waits for the task worker to empty its queue (the mail of the last tickets).
2. Counts, in PostgreSQL and in the S3 bucket, against what locust logged as accepted:
   - each logged ticket exists, is its member's, its first message carries the logged token,
     and its files are there with the logged sizes and SHA-256;
   - each logged staff reply exists on its ticket with its files; a reply the desk held back
     (409, a newer customer message) does not;
   - the tickets, messages and attachment rows added are exactly those logged (none stored
     behind a failed response, none missing);
   - every attachment row has its object in the bucket with the same size, every object has
     its row, and each file the test sent reads back from the bucket with its SHA-256;
   - no task failed, no mail is waiting for a retry.
3. Checks that both app servers share the login counters: 5 wrong passwords spread over both
   servers, and the next attempt is refused (429) on either.
4. Prints locust's figures per page (requests/s, p50, p95, p99, failures) with each page's
   p50 as a multiple of the floor's, and writes them with the counts to OUT_MD.

Exits 1 when anything was lost or any request failed.
"""

import csv
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import django

django.setup()

import boto3  # noqa: E402
import requests  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from avsoft_support.models import Attachment, Message, PendingMail, Ticket  # noqa: E402

FLOOR = "floor: 25 tickets, 1 query"
TOKEN = re.compile(r"\b[0-9a-f]{32}\b")


def drain_queue(timeout=300):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        waiting = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
        if not waiting:
            return time.monotonic() - start
        time.sleep(1)
    return None


def bucket():
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"])
    return s3, os.environ["AWS_STORAGE_BUCKET_NAME"]


def bucket_objects(s3, name):
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


def file_keys(files):
    return Counter((f["size"], f["sha256"]) for f in files)


def check_tickets(tickets, problems):
    """Each logged ticket: there, its member's, its description, its files."""
    stored = {
        t.number: t
        for t in Ticket.objects.filter(number__in=[e["number"] for e in tickets]).select_related(
            "author"
        )
    }
    first_messages = {}
    for message in (
        Message.objects.filter(ticket__in=stored.values())
        .order_by("ticket_id", "pk")
        .prefetch_related("attachments")
    ):
        first_messages.setdefault(message.ticket_id, message)
    for event in tickets:
        ticket = stored.get(event["number"])
        if ticket is None:
            problems.append(f"ticket {event['number']} is missing")
            continue
        if ticket.author is None or ticket.author.username != event["user"]:
            problems.append(f"ticket {event['number']} is not {event['user']}'s")
        message = first_messages.get(ticket.pk)
        if message is None or event["token"] not in message.body:
            problems.append(f"ticket {event['number']} lost its description")
            continue
        if file_keys(attachment_rows(message)) != file_keys(event["files"]):
            problems.append(f"ticket {event['number']}: files differ from those sent")


def attachment_rows(message):
    return [{"size": a.size, "sha256": a.sha256} for a in message.attachments.all()]


def check_replies(replies, held, problems):
    """Each logged reply by its token: there, on its ticket, by its agent, with its files;
    a reply held back (409) is not stored. Returns how many of them mail their customer (the
    demo's older tickets include some whose author deleted their account: nobody to mail)."""
    staff_messages = {}
    for message in (
        Message.objects.filter(from_staff=True, body__contains="ref ")
        .select_related("author", "ticket__author")
        .prefetch_related("attachments")
    ):
        for token in TOKEN.findall(message.body):
            staff_messages[token] = message
    for event in replies:
        message = staff_messages.get(event["token"])
        if message is None:
            problems.append(f"reply {event['token']} on ticket {event['ticket']} is missing")
            continue
        if message.ticket_id != event["ticket"] or message.author.username != event["user"]:
            problems.append(f"reply {event['token']} is on the wrong ticket or by someone else")
        if file_keys(attachment_rows(message)) != file_keys(event["files"]):
            problems.append(f"reply {event['token']}: files differ from those sent")
    for event in held:
        if event["token"] in staff_messages:
            problems.append(f"reply {event['token']} was held back (409) but stored")
    mailed = [staff_messages.get(event["token"]) for event in replies]
    return sum(1 for m in mailed if m and m.ticket.author_id and m.ticket.author.email)


def check_bucket(sent_digests, problems):
    """The bucket against the attachment rows; each file sent read back. Returns the counts."""
    s3, name = bucket()
    objects = bucket_objects(s3, name)
    rows = dict(Attachment.objects.values_list("file", "size"))
    missing = [key for key in rows if key not in objects]
    stray = [key for key in objects if key not in rows]
    wrong_size = [key for key, size in rows.items() if key in objects and objects[key] != size]
    for label, keys in (
        ("rows without their file in S3", missing),
        ("files in S3 without a row", stray),
        ("files in S3 of another size than their row", wrong_size),
    ):
        if keys:
            problems.append(f"{len(keys)} {label}, e.g. {keys[:3]}")
    load_rows = list(
        Attachment.objects.filter(sha256__in=sent_digests).values_list("file", "sha256").distinct()
    )
    unreadable = 0
    for key, digest in load_rows:
        body = s3.get_object(Bucket=name, Key=key)["Body"].read()
        if hashlib.sha256(body).hexdigest() != digest:
            unreadable += 1
    if unreadable:
        problems.append(f"{unreadable} files read back from S3 with another SHA-256")
    return {
        "S3 objects / attachment rows (all)": f"{len(objects)} / {len(rows)}",
        "files read back from S3 with the sent SHA-256": (
            f"{len(load_rows) - unreadable} / {len(load_rows)}"
        ),
    }


def check_mail(started_at, problems):
    """Every task of the run ran (those of the setup, such as Wagtail's index updates of the
    pages support_demo replaced, are not the load's); no mail waits for a retry."""
    tasks = Counter(
        DBTaskResult.objects.filter(enqueued_at__gte=started_at).values_list("status", flat=True)
    )
    if tasks.get("FAILED"):
        problems.append(f"{tasks['FAILED']} tasks failed")
    pending = PendingMail.objects.count()
    if pending:
        problems.append(f"{pending} mails wait for a retry (PendingMail)")
    mail_dir = Path(os.environ.get("DEMO_PROD_MAIL_DIR", ""))
    since = datetime.fromisoformat(started_at).timestamp()
    # One file may hold several mails (Django's file backend names them by the second and the
    # connection); the demo's backend writes this line once per mail.
    mail_files = (
        sum(
            path.read_text(encoding="utf-8", errors="replace").count(" raw MIME message ")
            for path in mail_dir.glob("*.log")
            if path.stat().st_mtime >= since
        )
        if mail_dir.is_dir()
        else 0
    )
    return {
        "tasks of the run (successful / failed)": (
            f"{tasks.get('SUCCESSFUL', 0)} / {tasks.get('FAILED', 0)}"
        ),
        "mails written by the worker during the run": mail_files,
        "mails waiting for a retry": pending,
    }


def check_data(accounts, events):
    problems = []
    before = accounts["before"]
    tickets = [e for e in events if e["kind"] == "ticket"]
    replies = [e for e in events if e["kind"] == "reply" and not e["held"]]
    held = [e for e in events if e["kind"] == "reply" and e["held"]]
    check_tickets(tickets, problems)
    replies_to_mail = check_replies(replies, held, problems)

    # Totals: nothing stored that locust did not see accepted, nothing missing.
    sent_files = sum(len(e["files"]) for e in tickets + replies)
    added = {
        "tickets": Ticket.objects.count() - before["tickets"],
        "messages": Message.objects.count() - before["messages"],
        "attachments": Attachment.objects.count() - before["attachments"],
    }
    expected = {
        "tickets": len(tickets),
        "messages": len(tickets) + len(replies),
        "attachments": sent_files,
    }
    for what, count in expected.items():
        if added[what] != count:
            problems.append(f"{what}: {added[what]} added, {count} accepted by the servers")
    summary = {
        "tickets filed (accepted / found)": f"{len(tickets)} / {added['tickets']}",
        "staff replies (accepted / found)": f"{len(replies)} / {added['messages'] - len(tickets)}",
        "staff replies held back (409, not stored)": len(held),
        "attachments (sent / rows added)": f"{sent_files} / {added['attachments']}",
    }
    sent_digests = {f["sha256"] for e in tickets + replies for f in e["files"]}
    summary.update(check_bucket(sent_digests, problems))
    summary.update(check_mail(accounts["started_at"], problems))
    # Each ticket mails the support addresses and sends its member a receipt; each public
    # reply mails its customer. Escalations and reminders may add more, never fewer.
    least = 2 * len(tickets) + replies_to_mail
    summary["mails at least due (2 a ticket, 1 a reply to a customer with an address)"] = least
    if summary["mails written by the worker during the run"] < least:
        problems.append(f"fewer mails written than the {least} due")
    return problems, summary


def check_shared_login_limits(hosts):
    """Wrong passwords at both servers count in one place: the sixth is refused everywhere."""
    username = f"nobody-{time.time_ns()}"
    statuses = []
    for attempt in range(6):
        host = hosts[attempt % len(hosts)]
        session = requests.Session()
        page = session.get(f"{host}/account/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = session.post(
            f"{host}/account/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": "wrong"},
            headers={"Referer": f"{host}/account/login/"},
            allow_redirects=False,
            timeout=30,
        )
        statuses.append(response.status_code)
    return statuses


def locust_rows(prefix):
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def table(rows):
    floor = next((float(r["50%"]) for r in rows if r["Name"] == FLOOR), None)
    lines = [
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | failures | p50 × floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all requests**"
        ratio = (
            f"{float(row['50%']) / floor:.1f}"
            if floor and row["Name"] not in ("Aggregated", FLOOR)
            else ""
        )
        lines.append(
            f"| {name} | {row['Request Count']} | {float(row['Requests/s']):.1f} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} | {row['Failure Count']} | {ratio} |"
        )
    return "\n".join(lines)


def main():
    accounts_path, events_path, prefix, out_path = sys.argv[1:5]
    accounts = json.loads(Path(accounts_path).read_text(encoding="utf-8"))
    events = [json.loads(line) for line in Path(events_path).read_text().splitlines() if line]
    drained = drain_queue()
    problems, summary = check_data(accounts, events)
    if drained is None:
        problems.append("the task queue did not empty within 5 minutes")
    hosts = os.environ.get("LOAD_HOSTS", "").split(",")
    limits = check_shared_login_limits(hosts)
    if limits[:5] != [200] * 5 or limits[5] != 429:
        problems.append(f"login counters not shared by the servers: statuses {limits}")
    summary["6 wrong logins over both servers (statuses)"] = " ".join(map(str, limits))
    rows = locust_rows(prefix)
    failures = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
    if failures:
        problems.append(f"{failures} requests failed (see {prefix}_failures.csv)")
    text = "\n".join(
        [
            table(rows),
            "",
            "Counted after the run (PostgreSQL, the S3 bucket, the task queue):",
            "",
            *(f"- {key}: {value}" for key, value in summary.items()),
            "",
            f"Lost or wrong: {len(problems)}" + "".join(f"\n- {p}" for p in problems),
        ]
    )
    Path(out_path).write_text(text + "\n", encoding="utf-8")
    print(text)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
