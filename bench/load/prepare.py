"""Seeds the production profile for the load test and writes the accounts locust uses.

Run by scripts/load inside scripts/demo-prod (the environment of the production settings is
set there), after `support_demo`: ``python bench/load/prepare.py ACCOUNTS_JSON``.

- LOAD_MEMBERS members (default 100), each with 4 tickets of 2 messages (the customer's, then
  a staff reply), the first message with a small file in the S3 bucket, so that there is
  something to read and download from the first second;
- LOAD_STAFF agents (default 20) in the "Support staff" group, each with a confirmed TOTP
  device whose key goes into the JSON (locust computes their codes from it), so each staff
  user of locust logs in as a person does: password, then a code;
- one password for everyone, hashed once (hashing it per account would take a minute).

The JSON also keeps the counts before the run (tickets, messages, attachments, objects in the
bucket), for bench/load/verify.py.
"""

import json
import os
import secrets
import sys
from pathlib import Path

import django

django.setup()

import boto3  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from avsoft_support.models import (  # noqa: E402
    Attachment,
    ClientStatus,
    MemberProfile,
    Message,
    Product,
    SupportPage,
    Ticket,
)

PASSWORD = "Load-Test-Password-2026"  # noqa: S105 (seeded test accounts on loopback)
STATUSES = ["new", "in_progress", "waiting", "resolved"]


def bucket_objects():
    """Every object in the attachments bucket: {key: size}."""
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"])
    found = {}
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=os.environ["AWS_STORAGE_BUCKET_NAME"]
    )
    for page in pages:
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


def counts():
    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
        "bucket_objects": len(bucket_objects()),
    }


@transaction.atomic
def seed(members, staff_count):
    User = get_user_model()
    hashed = make_password(PASSWORD)
    group = Group.objects.filter(name__in=["Support staff", "Служба поддержки"]).first()
    staff = []
    for n in range(staff_count):
        user = User.objects.create(
            username=f"load-staff-{n:02d}",
            email=f"load-staff-{n:02d}@demo.example",
            password=hashed,
            first_name="Agent",
            last_name=f"{n:02d}",
        )
        user.groups.add(group)
        key = secrets.token_hex(20)
        TOTPDevice.objects.create(user=user, name="Authenticator app", key=key, confirmed=True)
        staff.append({"username": user.username, "totp_key": key, "pk": user.pk})
    products = list(Product.objects.filter(active=True))
    statuses = [value for value, _ in ClientStatus.choices]
    usernames = []
    agent = User.objects.get(pk=staff[0]["pk"])
    for n in range(members):
        user = User.objects.create(
            username=f"load-member-{n:03d}",
            email=f"load-member-{n:03d}@demo.example",
            password=hashed,
        )
        status = statuses[n % len(statuses)]
        MemberProfile.objects.create(
            user=user,
            full_name=f"Load Member {n:03d}",
            company=f"Load Company {n % 17}",
            client_status=status,
            email_confirmed_at=timezone.now(),
        )
        for t in range(4):
            ticket = Ticket.objects.create(
                subject=f"Seeded problem {t} of member {n}",
                product=products[t % len(products)] if products else None,
                product_version="5.1",
                os_version="Windows 11",
                status=STATUSES[t],
                author=user,
                client_status=status,
                priority=ClientStatus.priority_of(status),
            )
            first = Message.objects.create(
                ticket=ticket, author=user, body=f"Problem {t}: the export stops."
            )
            Message.objects.create(
                ticket=ticket, author=agent, from_staff=True, body="We are looking into it."
            )
            content = ContentFile(f"log of member {n} ticket {t}\n".encode() * 40, name="log.txt")
            attachment = Attachment(
                message=first,
                original_name="log.txt",
                size=content.size,
                content_type="text/plain",
                sha256="",
            )
            attachment.file.save("log.txt", content, save=True)
        usernames.append(user.username)
    return usernames, staff


def main():
    out = Path(sys.argv[1])
    members = int(os.environ.get("LOAD_MEMBERS", "100"))
    staff_count = int(os.environ.get("LOAD_STAFF", "20"))
    usernames, staff = seed(members, staff_count)
    page = SupportPage.objects.live().first()
    out.write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "members": usernames,
                "staff": staff,
                "support_path": page.url,
                "before": counts(),
                "started_at": timezone.now().isoformat(),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"seeded {len(usernames)} members (4 tickets each) and {len(staff)} staff; {out}")


if __name__ == "__main__":
    main()
