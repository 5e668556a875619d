"""Exports and imports of labelled data.

``rows`` is the one streamed source of claim rows, selected by ``options.ExportOptions``
(layer, filters, split); ``jsonl``, ``tabular`` (CSV), ``parquet``, ``w3c`` and ``brat`` turn
its rows into files, each with the ``provenance`` manifest;
``archive`` backs a whole project up and restores it; ``importing`` reads annotations
back in. Every writer is a generator of bytes that reads the rows a chunk at a time and
yields its output as it goes (the views stream it, the command and the background task
write it to a file), so memory stays flat whatever the size of the project.
"""
