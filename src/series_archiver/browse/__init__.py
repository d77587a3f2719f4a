"""Reading the archive in Datasette: the server, the plugin, metadata and views."""
