"""The e-mail channel's way in: fetching raw mail (sources), reading it (parse) and adding it to
tickets (receive)."""
