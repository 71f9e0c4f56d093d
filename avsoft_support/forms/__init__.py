"""Forms, one module per concept: account.py (member area), tickets.py, staff.py."""
