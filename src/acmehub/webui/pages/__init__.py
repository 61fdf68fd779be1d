"""One module per section of the web interface, each with a ``ROUTES`` list (webui/app.py)."""
