"""What the JSON routes and the HTML pages both do, one module per domain; no FastAPI types here."""
