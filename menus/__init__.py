"""Pure user-facing language: SMS grammar, USSD screens, catalogs, parsing and encoding.

Nothing here imports Flask, Redis or SQLAlchemy.
"""
