"""The member area, one module per flow: registration, login, password (recovery), profile."""
