"""A student station (``lesson station --console URL``): pairs with the teacher console, runs
the lessons it is told to, and streams their statements back.

One job per module: :mod:`.files` (the data folder), :mod:`.inbox` (network threads to the
lesson thread), :mod:`.client` (HTTP to the console), :mod:`.pairing` (the one-time code
and the stored token), :mod:`.progress` (which commands ran, what is running), :mod:`.outbox`
(durable statements until the console has them), :mod:`.delivery` (sends the outbox),
:mod:`.poller` (long-polls commands), :mod:`.lessons` (packs from the console),
:mod:`.learner_settings` (settings that follow the learner),
:mod:`.runner` (runs one lesson and obeys commands), :mod:`.status` (reports state),
:mod:`.station` (wires them together). The protocol is ``docs/classroom-protocol.md``.
"""
