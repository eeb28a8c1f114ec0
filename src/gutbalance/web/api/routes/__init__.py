"""One router per resource: ``auth`` and ``samples`` and ``account`` for the
JSON API, ``pages`` for the server-rendered site."""
