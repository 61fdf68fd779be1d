"""Typed commands (what an administrator asks) and views (what they get back), one module per
object family. The management API, the web interface and the CLI translate their input into
these models and the views into their output; every field, limit and message lives here once.
"""
