"""Models of the app, gathered from its sub-packages."""
