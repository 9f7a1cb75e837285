"""The portal keeps no tables of its own.

Login needs none: a magic link is single use because its signed value includes a hash of
the user's ``last_login`` (see ``portal.services``). Customer feedback and complaints,
which the portal shows and takes, are a domain model in ``insights.models``.
"""
