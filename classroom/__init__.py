"""The classroom: a teacher console (``lesson teach``) and student stations (``lesson station``).

:mod:`classroom.protocol` is the contract between them (see ``docs/classroom-protocol.md``).
"""
