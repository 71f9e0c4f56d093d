"""Who the customer is to the desk: client status (``status``) and the CSV import of client
accounts (``csv_import``)."""
