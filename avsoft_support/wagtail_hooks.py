"""Only wiring: viewsets, menu, dashboard panel, bulk actions, log actions."""
