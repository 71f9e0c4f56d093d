"""The member area, one module per flow: registration, login, password (recovery), profile,
the member's own data (download, account deletion)."""
