"""The command line: parsers, launching the app, config commands, scripting, completion."""
