"""`bdt serve`: the toolkit's job as a local web page (for clerks without the Excel buttons: WPS,
信创 Linux, LibreOffice) and as the finance bureau's intranet service.

    bdt serve                                  # http://127.0.0.1:8000/, data in ./bdt-data
    bdt serve --host 0.0.0.0 --port 8080 --data /srv/bdt --token 口令

app (routes and pages), guard (size limit, timeouts, identity, token, headers), storage (data
folder and SQLite records), jobs (the library calls, run in a process pool).
"""
