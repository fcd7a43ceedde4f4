"""The workbench (`rso serve`): the month in a browser over the record, and its JSON API.

`security` guards every request (host, token and session, CSRF, headers); `bench` checks and
makes the changes (no HTTP); `app` holds the routes and pages (Jinja2 templates in
`templates/`, the vendored htmx and the style sheet in `static/`).
"""
