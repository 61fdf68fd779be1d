"""Server-rendered administration pages; grows with the web interface issue."""
