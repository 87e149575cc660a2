"""The helpdesk service (sanic): app factory (app.py), agent API (api.py), console (console.py), timer
sweeper (sweeper.py) and command line (cli.py, `python -m helpdesk.web`). Nothing imports it but
entry points: scripts, benchmarks and tests."""
