"""Signal receivers. Imported by AppConfig.ready()."""
