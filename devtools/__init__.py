"""Developer tooling around the site: build it, serve it, drive it in Chromium, benchmark it, screenshot it.
None of this is downloaded by users; `web/` is exactly what they get."""
