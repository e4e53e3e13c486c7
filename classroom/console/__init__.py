"""The teacher console: ``lesson teach``.

:func:`classroom.console.app.create_app` builds the FastAPI app from a
:class:`classroom.console.settings.ConsoleSettings`; :func:`classroom.console.server.serve`
runs it under uvicorn.
"""
