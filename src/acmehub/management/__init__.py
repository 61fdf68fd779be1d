"""The Core ACME management API (REST); grows with the management issue."""
