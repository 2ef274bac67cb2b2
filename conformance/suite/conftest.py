"""Area-wide fixtures come from the plugin (conformance.plugin): fn, make, names, fn_config."""
