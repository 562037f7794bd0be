"""Server-rendered pages of the web app (rep and manager views, login)."""
