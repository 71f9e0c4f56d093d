"""The demo's mail: one file per message in demo/var/mail/, readable as it stands.

Django's file backend writes the raw MIME message, where Russian text is base64 and a
confirmation link cannot be read or clicked. This one writes the headers and the plain-text
body first, decoded, then the raw message for anyone who wants to see the HTML part.

A mail that can be answered (it has a Reply-To) also gets a ready reply next to it,
``<file>.reply.eml``, as a mail client would write it: write your text at its top and move
it into demo/var/inbox/new/; `make demo` picks it up within a few seconds.
"""

import os
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from uuid import uuid4

from django.core.mail.backends.filebased import EmailBackend


class ReadableFileEmailBackend(EmailBackend):
    def send_messages(self, email_messages):
        # One file per message, even when a connection sends several.
        sent = 0
        for message in email_messages:
            self.close()
            self._fname = None
            sent += super().send_messages([message])
        return sent

    def _get_filename(self):
        # Django names the file after the time and id(self): two backends made in one second
        # may share an address, and so a file (the second mail appended, its reply draft
        # written over the first's).
        if self._fname is None:
            timestamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            self._fname = os.path.join(self.file_path, f"{timestamp}-{uuid4().hex[:12]}.log")
        return self._fname

    def write_message(self, message):
        readable = (
            f"Subject: {message.subject}\nFrom: {message.from_email}\n"
            f"To: {', '.join(message.to)}\n\n{message.body}\n"
            + "=" * 30
            + " raw MIME message "
            + "=" * 31
            + "\n"
        )
        self.stream.write(readable.encode())  # the file is opened in binary mode
        super().write_message(message)
        if message.reply_to:
            write_reply_draft(Path(self._fname).with_suffix(".reply.eml"), message)


def write_reply_draft(path, message):
    """What the recipient's mail client would send when they press Reply."""
    sent = message.message()
    draft = EmailMessage()
    draft["From"] = message.to[0]
    draft["To"] = message.reply_to[0]
    draft["Subject"] = f"Re: {message.subject}"
    draft["Date"] = formatdate(localtime=True)
    draft["Message-ID"] = make_msgid(domain="customer.example")
    draft["In-Reply-To"] = sent["Message-ID"]
    draft["References"] = f"{sent['References'] or ''} {sent['Message-ID']}".strip()
    quoted = "\n".join(f"> {line}" for line in message.body.splitlines())
    # 8bit, not base64: the person trying the demo edits this file in a text editor.
    draft.set_content(
        f"Напишите здесь свой ответ.\n\n{formatdate(localtime=True)}, {message.from_email}:\n"
        f"{quoted}\n",
        cte="8bit",
    )
    path.write_bytes(bytes(draft))
