"""What each page of the app shows, computed: one module per page, plain data out.

A page in `app/views/` reads its widgets, calls one function of its module here, and draws what
comes back (dataclasses, lists, arrays). Each module also declares the page's settings (`PARAMS`),
the link's parameters. See docs/contributing.md for the shape and a worked example.
"""
