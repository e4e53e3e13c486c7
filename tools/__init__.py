"""The lesson toolkit: the `lesson` command and its authoring tools."""
