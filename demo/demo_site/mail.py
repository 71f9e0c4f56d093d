"""The demo's mail: one file per message in demo/var/mail/, readable as it stands.

Django's file backend writes the raw MIME message, where Russian text is base64 and a
confirmation link cannot be read or clicked. This one writes the headers and the plain-text
body first, decoded, then the raw message for anyone who wants to see the HTML part.
"""

from django.core.mail.backends.filebased import EmailBackend


class ReadableFileEmailBackend(EmailBackend):
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
