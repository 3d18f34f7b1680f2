"""The ``twin`` command's front door: global options, error handling, and one group per stage."""
