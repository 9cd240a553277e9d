"""The Teams app manifest template, its icons and the command that packages them (`python -m manifest.package`)."""
